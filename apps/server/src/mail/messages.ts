/**
 * The e-mails the server sends, as plain text in the 16 languages of the web app: the share
 * link to a recipient, the first download to the uploader, new files to a requester. A mail to
 * a recipient is built from the share link only; the manage link (the uploader's secret) goes
 * only into mails to the uploader or requester, whose builders take it explicitly.
 * @module
 */
import { LANGUAGES, type Language } from '../i18n.js'
import { headerText } from './address.js'

// A type, not an interface: it must also be readable as a plain string record (MAIL_STRINGS).
type Strings = {
  shareSubject: string
  shareIntro: string
  senderMessage: string
  until: string
  downloadedSubject: string
  downloadedText: string
  downloadedFiles: string
  manage: string
  requestSubject: string
  requestText: string
  requestTotal: string
  requestMore: string
}

const STRINGS: Record<Language, Strings> = {
  de: {
    shareSubject: 'Dateien für Sie',
    shareIntro: 'Jemand hat Dateien mit Ihnen geteilt. Hier können Sie sie herunterladen:',
    senderMessage: 'Nachricht des Absenders:',
    until: 'Verfügbar bis {date}.',
    downloadedSubject: 'Ihre Dateien wurden heruntergeladen',
    downloadedText: 'Ihre geteilten Dateien wurden am {date} zum ersten Mal heruntergeladen.',
    downloadedFiles: 'Dateien dieser Freigabe:',
    manage: 'Freigabe verwalten:',
    requestSubject: 'Neue Dateien für Ihre Upload-Anfrage',
    requestText: 'Für Ihre Upload-Anfrage sind neue Dateien eingegangen: {count}.',
    requestTotal: 'Insgesamt: {size}.',
    requestMore: '… und {count} weitere',
  },
  el: {
    shareSubject: 'Αρχεία για εσάς',
    shareIntro: 'Κάποιος μοιράστηκε αρχεία μαζί σας. Κατεβάστε τα εδώ:',
    senderMessage: 'Μήνυμα από τον αποστολέα:',
    until: 'Διαθέσιμα έως {date}.',
    downloadedSubject: 'Τα αρχεία σας λήφθηκαν',
    downloadedText: 'Τα κοινόχρηστα αρχεία σας λήφθηκαν για πρώτη φορά στις {date}.',
    downloadedFiles: 'Αρχεία αυτής της κοινής χρήσης:',
    manage: 'Διαχείριση της κοινής χρήσης:',
    requestSubject: 'Νέα αρχεία για το αίτημα μεταφόρτωσής σας',
    requestText: 'Έφτασαν νέα αρχεία για το αίτημα μεταφόρτωσής σας: {count}.',
    requestTotal: 'Σύνολο: {size}.',
    requestMore: '… και {count} ακόμη',
  },
  en: {
    shareSubject: 'Files for you',
    shareIntro: 'Someone shared files with you. Download them here:',
    senderMessage: 'Message from the sender:',
    until: 'Available until {date}.',
    downloadedSubject: 'Your files were downloaded',
    downloadedText: 'Your shared files were downloaded for the first time on {date}.',
    downloadedFiles: 'Files in this share:',
    manage: 'Manage your share:',
    requestSubject: 'New files for your upload request',
    requestText: 'New files arrived for your upload request: {count}.',
    requestTotal: 'In all: {size}.',
    requestMore: '… and {count} more',
  },
  es: {
    shareSubject: 'Archivos para ti',
    shareIntro: 'Alguien ha compartido archivos contigo. Descárgalos aquí:',
    senderMessage: 'Mensaje del remitente:',
    until: 'Disponibles hasta el {date}.',
    downloadedSubject: 'Tus archivos se han descargado',
    downloadedText: 'Tus archivos compartidos se descargaron por primera vez el {date}.',
    downloadedFiles: 'Archivos de lo compartido:',
    manage: 'Gestionar lo compartido:',
    requestSubject: 'Nuevos archivos para tu solicitud de subida',
    requestText: 'Han llegado nuevos archivos para tu solicitud de subida: {count}.',
    requestTotal: 'En total: {size}.',
    requestMore: '… y {count} más',
  },
  fr: {
    shareSubject: 'Des fichiers pour vous',
    shareIntro: 'Quelqu’un a partagé des fichiers avec vous. Téléchargez-les ici :',
    senderMessage: 'Message de l’expéditeur :',
    until: 'Disponibles jusqu’au {date}.',
    downloadedSubject: 'Vos fichiers ont été téléchargés',
    downloadedText: 'Vos fichiers partagés ont été téléchargés pour la première fois le {date}.',
    downloadedFiles: 'Fichiers de ce partage :',
    manage: 'Gérer le partage :',
    requestSubject: 'Nouveaux fichiers pour votre demande de dépôt',
    requestText: 'De nouveaux fichiers sont arrivés pour votre demande de dépôt : {count}.',
    requestTotal: 'Au total : {size}.',
    requestMore: '… et {count} de plus',
  },
  it: {
    shareSubject: 'File per te',
    shareIntro: 'Qualcuno ha condiviso dei file con te. Scaricali qui:',
    senderMessage: 'Messaggio del mittente:',
    until: 'Disponibili fino al {date}.',
    downloadedSubject: 'I tuoi file sono stati scaricati',
    downloadedText: 'I tuoi file condivisi sono stati scaricati per la prima volta il {date}.',
    downloadedFiles: 'File di questa condivisione:',
    manage: 'Gestisci la condivisione:',
    requestSubject: 'Nuovi file per la tua richiesta di caricamento',
    requestText: 'Sono arrivati nuovi file per la tua richiesta di caricamento: {count}.',
    requestTotal: 'In tutto: {size}.',
    requestMore: '… e altri {count}',
  },
  ja: {
    shareSubject: 'ファイルが届いています',
    shareIntro: 'ファイルが共有されました。こちらからダウンロードできます:',
    senderMessage: '送信者からのメッセージ:',
    until: '{date} までダウンロードできます。',
    downloadedSubject: 'ファイルがダウンロードされました',
    downloadedText: '共有したファイルが {date} に初めてダウンロードされました。',
    downloadedFiles: 'この共有のファイル:',
    manage: '共有の管理:',
    requestSubject: 'アップロード依頼に新しいファイルが届きました',
    requestText: 'アップロード依頼に新しいファイルが届きました: {count} 件。',
    requestTotal: '合計: {size}。',
    requestMore: '…ほか {count} 件',
  },
  ko: {
    shareSubject: '파일이 도착했습니다',
    shareIntro: '누군가 파일을 공유했습니다. 여기에서 다운로드하세요:',
    senderMessage: '보낸 사람의 메시지:',
    until: '{date}까지 받을 수 있습니다.',
    downloadedSubject: '파일이 다운로드되었습니다',
    downloadedText: '공유한 파일이 {date}에 처음으로 다운로드되었습니다.',
    downloadedFiles: '이 공유의 파일:',
    manage: '공유 관리:',
    requestSubject: '업로드 요청에 새 파일이 도착했습니다',
    requestText: '업로드 요청에 새 파일이 도착했습니다: {count}개.',
    requestTotal: '합계: {size}.',
    requestMore: '… 외 {count}개',
  },
  nl: {
    shareSubject: 'Bestanden voor u',
    shareIntro: 'Iemand heeft bestanden met u gedeeld. Download ze hier:',
    senderMessage: 'Bericht van de afzender:',
    until: 'Beschikbaar tot {date}.',
    downloadedSubject: 'Uw bestanden zijn gedownload',
    downloadedText: 'Uw gedeelde bestanden zijn op {date} voor het eerst gedownload.',
    downloadedFiles: 'Bestanden in deze deling:',
    manage: 'Deling beheren:',
    requestSubject: 'Nieuwe bestanden voor uw uploadverzoek',
    requestText: 'Er zijn nieuwe bestanden binnengekomen voor uw uploadverzoek: {count}.',
    requestTotal: 'In totaal: {size}.',
    requestMore: '… en nog {count}',
  },
  pl: {
    shareSubject: 'Pliki dla Ciebie',
    shareIntro: 'Ktoś udostępnił Ci pliki. Pobierz je tutaj:',
    senderMessage: 'Wiadomość od nadawcy:',
    until: 'Dostępne do {date}.',
    downloadedSubject: 'Twoje pliki zostały pobrane',
    downloadedText: 'Udostępnione przez Ciebie pliki zostały po raz pierwszy pobrane {date}.',
    downloadedFiles: 'Pliki w tym udostępnieniu:',
    manage: 'Zarządzaj udostępnieniem:',
    requestSubject: 'Nowe pliki w Twojej prośbie o przesłanie',
    requestText: 'Do Twojej prośby o przesłanie dotarły nowe pliki: {count}.',
    requestTotal: 'Łącznie: {size}.',
    requestMore: '… i {count} więcej',
  },
  pt: {
    shareSubject: 'Arquivos para você',
    shareIntro: 'Alguém compartilhou arquivos com você. Baixe-os aqui:',
    senderMessage: 'Mensagem do remetente:',
    until: 'Disponíveis até {date}.',
    downloadedSubject: 'Seus arquivos foram baixados',
    downloadedText: 'Seus arquivos compartilhados foram baixados pela primeira vez em {date}.',
    downloadedFiles: 'Arquivos deste compartilhamento:',
    manage: 'Gerenciar o compartilhamento:',
    requestSubject: 'Novos arquivos para o seu pedido de envio',
    requestText: 'Chegaram novos arquivos para o seu pedido de envio: {count}.',
    requestTotal: 'No total: {size}.',
    requestMore: '… e mais {count}',
  },
  ru: {
    shareSubject: 'Файлы для вас',
    shareIntro: 'С вами поделились файлами. Скачать их можно здесь:',
    senderMessage: 'Сообщение отправителя:',
    until: 'Доступны до {date}.',
    downloadedSubject: 'Ваши файлы скачали',
    downloadedText: 'Ваши общие файлы впервые скачали {date}.',
    downloadedFiles: 'Файлы в этом доступе:',
    manage: 'Управление доступом:',
    requestSubject: 'Новые файлы по вашему запросу на загрузку',
    requestText: 'По вашему запросу на загрузку пришли новые файлы: {count}.',
    requestTotal: 'Всего: {size}.',
    requestMore: '… и ещё {count}',
  },
  sv: {
    shareSubject: 'Filer till dig',
    shareIntro: 'Någon har delat filer med dig. Ladda ner dem här:',
    senderMessage: 'Meddelande från avsändaren:',
    until: 'Tillgängliga till {date}.',
    downloadedSubject: 'Dina filer har laddats ner',
    downloadedText: 'Dina delade filer laddades ner för första gången {date}.',
    downloadedFiles: 'Filer i den här delningen:',
    manage: 'Hantera delningen:',
    requestSubject: 'Nya filer till din uppladdningsförfrågan',
    requestText: 'Nya filer har kommit till din uppladdningsförfrågan: {count}.',
    requestTotal: 'Totalt: {size}.',
    requestMore: '… och {count} till',
  },
  tr: {
    shareSubject: 'Size dosyalar var',
    shareIntro: 'Biri sizinle dosya paylaştı. Buradan indirebilirsiniz:',
    senderMessage: 'Gönderenin mesajı:',
    until: '{date} tarihine kadar kullanılabilir.',
    downloadedSubject: 'Dosyalarınız indirildi',
    downloadedText: 'Paylaştığınız dosyalar ilk kez {date} tarihinde indirildi.',
    downloadedFiles: 'Bu paylaşımdaki dosyalar:',
    manage: 'Paylaşımı yönet:',
    requestSubject: 'Yükleme isteğiniz için yeni dosyalar',
    requestText: 'Yükleme isteğiniz için yeni dosyalar geldi: {count}.',
    requestTotal: 'Toplam: {size}.',
    requestMore: '… ve {count} tane daha',
  },
  zh: {
    shareSubject: '有文件发给你',
    shareIntro: '有人与你共享了文件。在这里下载:',
    senderMessage: '发件人留言:',
    until: '可下载至 {date}。',
    downloadedSubject: '你的文件已被下载',
    downloadedText: '你共享的文件于 {date} 首次被下载。',
    downloadedFiles: '此共享中的文件:',
    manage: '管理共享:',
    requestSubject: '你的上传请求收到了新文件',
    requestText: '你的上传请求收到了新文件:{count} 个。',
    requestTotal: '总计:{size}。',
    requestMore: '……另有 {count} 个',
  },
  'zh-tw': {
    shareSubject: '有檔案傳給你',
    shareIntro: '有人與你分享了檔案。在這裡下載:',
    senderMessage: '寄件者留言:',
    until: '可下載至 {date}。',
    downloadedSubject: '你的檔案已被下載',
    downloadedText: '你分享的檔案於 {date} 首次被下載。',
    downloadedFiles: '此分享中的檔案:',
    manage: '管理分享:',
    requestSubject: '你的上傳請求收到了新檔案',
    requestText: '你的上傳請求收到了新檔案:{count} 個。',
    requestTotal: '總計:{size}。',
    requestMore: '……另有 {count} 個',
  },
}

/** Longest sender message carried into a mail (the rest is cut, marked with …). */
export const MAX_SENDER_MESSAGE = 2000

export interface MailContent {
  subject: string
  text: string
}

const SIGNATURE = '-- \nPsiTransfer'

function strings(lang: Language): Strings {
  return STRINGS[lang] ?? STRINGS.en
}

/** A date for a reader in an unknown time zone: long form in the mail's language, in UTC, saying so. */
export function mailDate(lang: Language, ms: number): string {
  return new Intl.DateTimeFormat(lang === 'zh-tw' ? 'zh-TW' : lang, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
    timeZoneName: 'short',
  }).format(ms)
}

/** The sender's own words, quoted line by line so they cannot pass for the server's text. */
function quote(message: string): string {
  const text = message.length > MAX_SENDER_MESSAGE ? `${message.slice(0, MAX_SENDER_MESSAGE - 1)}…` : message
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n')
}

/** To a recipient: the share link (never the manage link), the sender's message, the expiry. */
export function shareMail(
  lang: Language,
  input: { link: string; message?: string | undefined; expires?: number | null | undefined },
): MailContent {
  const t = strings(lang)
  const parts = [t.shareIntro, input.link]
  const message = input.message?.trim()
  if (message) parts.push(`${t.senderMessage}\n${quote(message)}`)
  if (input.expires != null) parts.push(t.until.replace('{date}', mailDate(lang, input.expires)))
  parts.push(SIGNATURE)
  return { subject: headerText(t.shareSubject), text: parts.join('\n\n') }
}

/** File names listed in a notice at most (the rest is summed up as "…"). */
const MAX_LISTED_FILES = 50

/**
 * To the uploader: the first complete download of their share, with its file names (each on
 * one line, control characters removed) and the way back to managing it.
 */
export function downloadedMail(
  lang: Language,
  input: { at: number; files?: readonly string[] | undefined; manageLink?: string | undefined },
): MailContent {
  const t = strings(lang)
  const parts = [t.downloadedText.replace('{date}', mailDate(lang, input.at))]
  const files = input.files ?? []
  if (files.length > 0) {
    const listed = files.slice(0, MAX_LISTED_FILES).map((name) => `- ${headerText(name, 300)}`)
    if (files.length > MAX_LISTED_FILES) listed.push('- …')
    parts.push(`${t.downloadedFiles}\n${listed.join('\n')}`)
  }
  if (input.manageLink) parts.push(`${t.manage}\n${input.manageLink}`)
  parts.push(SIGNATURE)
  return { subject: headerText(t.downloadedSubject), text: parts.join('\n\n') }
}

/** A size in the mail's language (`1.5 MB`, `1,5 MB`): decimal units, as the web app shows them. */
export function mailSize(lang: Language, bytes: number): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return new Intl.NumberFormat(lang === 'zh-tw' ? 'zh-TW' : lang, {
    style: 'unit',
    unit: units[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value)
}

/** A file named in a requester's notice. */
export interface NoticeFile {
  name: string
  size: number
}

/**
 * To a requester: files arrived through their upload request, how many and how large in all,
 * the first {@link MAX_LISTED_FILES} listed with their sizes (names on one line each), and
 * their manage link. `files` may be fewer than `count` (a digest keeps a bounded list).
 */
export function requestFilesMail(
  lang: Language,
  input: { count: number; bytes: number; files: readonly NoticeFile[]; manageLink: string },
): MailContent {
  const t = strings(lang)
  const listed = input.files
    .slice(0, MAX_LISTED_FILES)
    .map((f) => `- ${headerText(f.name, 300)} (${mailSize(lang, f.size)})`)
  const more = input.count - listed.length
  if (more > 0) listed.push(`- ${t.requestMore.replace('{count}', String(more))}`)
  const parts = [
    t.requestText.replace('{count}', String(input.count)),
    `${listed.join('\n')}\n${t.requestTotal.replace('{size}', mailSize(lang, input.bytes))}`,
    `${t.manage}\n${input.manageLink}`,
    SIGNATURE,
  ]
  return { subject: headerText(t.requestSubject), text: parts.join('\n\n') }
}

/** Every language has every string (checked by the tests). */
export const MAIL_LANGUAGES: readonly Language[] = LANGUAGES
export const MAIL_STRINGS: Readonly<Record<Language, Readonly<Record<string, string>>>> = STRINGS
