/**
 * A small HTML error page for browser navigations to file and archive URLs that cannot be
 * served (missing, expired, already downloaded, protected), as PsiTransfer shows one; API
 * clients keep our JSON. Self-contained: no script, no external asset, one `<style>` allowed
 * by its hash in {@link ERROR_PAGE_CSP}. Every interpolated value is HTML-escaped.
 * @module
 */
import { createHash } from 'node:crypto'
import { type Language, pickLanguage } from '../i18n.js'

export type ErrorKind = 'notFound' | 'gone' | 'unauthorized' | 'changed' | 'error'

interface PageTexts {
  titles: Record<ErrorKind, string>
  texts: Record<ErrorKind, string>
  /** Link to the upload page. */
  home: string
  /** Label of the request id, for support. */
  reference: string
}

const TEXTS: Record<Language, PageTexts> = {
  en: {
    titles: {
      notFound: 'Not found',
      gone: 'Already downloaded',
      unauthorized: 'Password needed',
      changed: 'Files changed',
      error: 'Something went wrong',
    },
    texts: {
      notFound: 'This file or download does not exist, or its time is up and it was deleted.',
      gone: 'This file could be downloaded only once, and that has happened.',
      unauthorized:
        'This download is protected, or its link has expired. Open the download page and enter the password.',
      changed: 'The files of this share changed since its page was loaded. Open the download page again.',
      error: 'The server could not answer this request. Please try again later.',
    },
    home: 'Share files',
    reference: 'Reference',
  },
  de: {
    titles: {
      notFound: 'Nicht gefunden',
      gone: 'Bereits heruntergeladen',
      unauthorized: 'Passwort nötig',
      changed: 'Dateien geändert',
      error: 'Etwas ist schiefgegangen',
    },
    texts: {
      notFound:
        'Diese Datei oder diesen Download gibt es nicht, oder seine Zeit ist abgelaufen und er wurde gelöscht.',
      gone: 'Diese Datei ließ sich nur einmal herunterladen, und das ist schon geschehen.',
      unauthorized:
        'Dieser Download ist geschützt, oder sein Link ist abgelaufen. Bitte die Download-Seite öffnen und das Passwort eingeben.',
      changed:
        'Die Dateien haben sich geändert, seit die Seite geladen wurde. Bitte die Download-Seite neu öffnen.',
      error: 'Der Server konnte diese Anfrage nicht beantworten. Bitte später erneut versuchen.',
    },
    home: 'Dateien teilen',
    reference: 'Referenz',
  },
  el: {
    titles: {
      notFound: 'Δεν βρέθηκε',
      gone: 'Έχει ήδη ληφθεί',
      unauthorized: 'Απαιτείται κωδικός',
      changed: 'Τα αρχεία άλλαξαν',
      error: 'Κάτι πήγε στραβά',
    },
    texts: {
      notFound: 'Αυτό το αρχείο ή η λήψη δεν υπάρχει, ή ο χρόνος του έληξε και διαγράφηκε.',
      gone: 'Αυτό το αρχείο μπορούσε να ληφθεί μόνο μία φορά, και αυτό έχει ήδη γίνει.',
      unauthorized:
        'Αυτή η λήψη προστατεύεται ή ο σύνδεσμός της έληξε. Ανοίξτε τη σελίδα λήψης και εισαγάγετε τον κωδικό.',
      changed: 'Τα αρχεία άλλαξαν από τότε που φορτώθηκε η σελίδα. Ανοίξτε ξανά τη σελίδα λήψης.',
      error: 'Ο διακομιστής δεν μπόρεσε να απαντήσει. Δοκιμάστε ξανά αργότερα.',
    },
    home: 'Κοινή χρήση αρχείων',
    reference: 'Αναφορά',
  },
  es: {
    titles: {
      notFound: 'No encontrado',
      gone: 'Ya descargado',
      unauthorized: 'Se necesita la contraseña',
      changed: 'Los archivos han cambiado',
      error: 'Algo ha fallado',
    },
    texts: {
      notFound: 'Este archivo o descarga no existe, o su plazo terminó y se eliminó.',
      gone: 'Este archivo solo podía descargarse una vez, y eso ya ocurrió.',
      unauthorized:
        'Esta descarga está protegida o su enlace ha caducado. Abra la página de descarga e introduzca la contraseña.',
      changed: 'Los archivos cambiaron desde que se cargó la página. Vuelva a abrir la página de descarga.',
      error: 'El servidor no pudo responder a esta petición. Inténtelo más tarde.',
    },
    home: 'Compartir archivos',
    reference: 'Referencia',
  },
  fr: {
    titles: {
      notFound: 'Introuvable',
      gone: 'Déjà téléchargé',
      unauthorized: 'Mot de passe nécessaire',
      changed: 'Fichiers modifiés',
      error: 'Un problème est survenu',
    },
    texts: {
      notFound: 'Ce fichier ou ce téléchargement n’existe pas, ou son délai est écoulé et il a été supprimé.',
      gone: 'Ce fichier ne pouvait être téléchargé qu’une fois, et c’est déjà fait.',
      unauthorized:
        'Ce téléchargement est protégé, ou son lien a expiré. Ouvrez la page de téléchargement et saisissez le mot de passe.',
      changed: 'Les fichiers ont changé depuis le chargement de la page. Rouvrez la page de téléchargement.',
      error: 'Le serveur n’a pas pu répondre à cette demande. Réessayez plus tard.',
    },
    home: 'Partager des fichiers',
    reference: 'Référence',
  },
  it: {
    titles: {
      notFound: 'Non trovato',
      gone: 'Già scaricato',
      unauthorized: 'Serve la password',
      changed: 'File cambiati',
      error: 'Qualcosa è andato storto',
    },
    texts: {
      notFound: 'Questo file o download non esiste, oppure il suo tempo è scaduto ed è stato eliminato.',
      gone: 'Questo file si poteva scaricare una sola volta, ed è già successo.',
      unauthorized:
        'Questo download è protetto, oppure il suo link è scaduto. Apri la pagina di download e inserisci la password.',
      changed: 'I file sono cambiati da quando la pagina è stata caricata. Riapri la pagina di download.',
      error: 'Il server non ha potuto rispondere a questa richiesta. Riprova più tardi.',
    },
    home: 'Condividi file',
    reference: 'Riferimento',
  },
  ja: {
    titles: {
      notFound: '見つかりません',
      gone: 'ダウンロード済み',
      unauthorized: 'パスワードが必要です',
      changed: 'ファイルが変更されました',
      error: '問題が発生しました',
    },
    texts: {
      notFound: 'このファイルまたはダウンロードは存在しないか、期限が過ぎて削除されました。',
      gone: 'このファイルは 1 回だけダウンロードでき、すでにダウンロードされています。',
      unauthorized:
        'このダウンロードは保護されているか、リンクの期限が切れています。ダウンロードページを開いてパスワードを入力してください。',
      changed: 'ページを読み込んだ後にファイルが変更されました。ダウンロードページを開き直してください。',
      error: 'サーバーがこのリクエストに応答できませんでした。しばらくしてからもう一度お試しください。',
    },
    home: 'ファイルを共有',
    reference: '参照番号',
  },
  ko: {
    titles: {
      notFound: '찾을 수 없음',
      gone: '이미 다운로드됨',
      unauthorized: '비밀번호 필요',
      changed: '파일이 바뀌었습니다',
      error: '문제가 발생했습니다',
    },
    texts: {
      notFound: '이 파일이나 다운로드는 없거나, 보관 기간이 지나 삭제되었습니다.',
      gone: '이 파일은 한 번만 내려받을 수 있었고, 이미 내려받았습니다.',
      unauthorized:
        '이 다운로드는 보호되어 있거나 링크가 만료되었습니다. 다운로드 페이지를 열고 비밀번호를 입력하세요.',
      changed: '페이지를 불러온 뒤 파일이 바뀌었습니다. 다운로드 페이지를 다시 여세요.',
      error: '서버가 이 요청에 응답하지 못했습니다. 나중에 다시 시도하세요.',
    },
    home: '파일 공유',
    reference: '참조 번호',
  },
  nl: {
    titles: {
      notFound: 'Niet gevonden',
      gone: 'Al gedownload',
      unauthorized: 'Wachtwoord nodig',
      changed: 'Bestanden gewijzigd',
      error: 'Er ging iets mis',
    },
    texts: {
      notFound: 'Dit bestand of deze download bestaat niet, of de tijd is om en het is verwijderd.',
      gone: 'Dit bestand kon maar één keer worden gedownload, en dat is al gebeurd.',
      unauthorized:
        'Deze download is beveiligd, of de link is verlopen. Open de downloadpagina en voer het wachtwoord in.',
      changed: 'De bestanden zijn gewijzigd sinds de pagina werd geladen. Open de downloadpagina opnieuw.',
      error: 'De server kon dit verzoek niet beantwoorden. Probeer het later opnieuw.',
    },
    home: 'Bestanden delen',
    reference: 'Referentie',
  },
  pl: {
    titles: {
      notFound: 'Nie znaleziono',
      gone: 'Już pobrano',
      unauthorized: 'Wymagane hasło',
      changed: 'Pliki się zmieniły',
      error: 'Coś poszło nie tak',
    },
    texts: {
      notFound: 'Ten plik lub to pobieranie nie istnieje albo jego czas minął i zostało usunięte.',
      gone: 'Ten plik można było pobrać tylko raz i to już nastąpiło.',
      unauthorized:
        'To pobieranie jest chronione albo jego link wygasł. Otwórz stronę pobierania i wpisz hasło.',
      changed: 'Pliki zmieniły się od załadowania strony. Otwórz stronę pobierania ponownie.',
      error: 'Serwer nie mógł odpowiedzieć na to żądanie. Spróbuj ponownie później.',
    },
    home: 'Udostępnij pliki',
    reference: 'Numer referencyjny',
  },
  pt: {
    titles: {
      notFound: 'Não encontrado',
      gone: 'Já transferido',
      unauthorized: 'Palavra-passe necessária',
      changed: 'Os ficheiros mudaram',
      error: 'Algo correu mal',
    },
    texts: {
      notFound: 'Este ficheiro ou transferência não existe, ou o seu prazo terminou e foi eliminado.',
      gone: 'Este ficheiro só podia ser transferido uma vez, e isso já aconteceu.',
      unauthorized:
        'Esta transferência está protegida ou a sua ligação expirou. Abra a página de transferência e introduza a palavra-passe.',
      changed:
        'Os ficheiros mudaram desde que a página foi carregada. Abra de novo a página de transferência.',
      error: 'O servidor não conseguiu responder a este pedido. Tente mais tarde.',
    },
    home: 'Partilhar ficheiros',
    reference: 'Referência',
  },
  ru: {
    titles: {
      notFound: 'Не найдено',
      gone: 'Уже скачано',
      unauthorized: 'Нужен пароль',
      changed: 'Файлы изменились',
      error: 'Что-то пошло не так',
    },
    texts: {
      notFound: 'Этого файла или загрузки нет, либо срок хранения истёк и они удалены.',
      gone: 'Этот файл можно было скачать только один раз, и это уже произошло.',
      unauthorized:
        'Эта загрузка защищена, или срок ссылки истёк. Откройте страницу загрузки и введите пароль.',
      changed: 'Файлы изменились после загрузки страницы. Откройте страницу загрузки заново.',
      error: 'Сервер не смог ответить на этот запрос. Попробуйте позже.',
    },
    home: 'Поделиться файлами',
    reference: 'Номер запроса',
  },
  sv: {
    titles: {
      notFound: 'Hittades inte',
      gone: 'Redan nedladdad',
      unauthorized: 'Lösenord krävs',
      changed: 'Filerna har ändrats',
      error: 'Något gick fel',
    },
    texts: {
      notFound: 'Filen eller nedladdningen finns inte, eller så har tiden gått ut och den har raderats.',
      gone: 'Filen kunde bara laddas ned en gång, och det har redan skett.',
      unauthorized:
        'Nedladdningen är skyddad, eller så har länken gått ut. Öppna nedladdningssidan och ange lösenordet.',
      changed: 'Filerna har ändrats sedan sidan laddades. Öppna nedladdningssidan igen.',
      error: 'Servern kunde inte svara på begäran. Försök igen senare.',
    },
    home: 'Dela filer',
    reference: 'Referens',
  },
  tr: {
    titles: {
      notFound: 'Bulunamadı',
      gone: 'Zaten indirildi',
      unauthorized: 'Parola gerekli',
      changed: 'Dosyalar değişti',
      error: 'Bir sorun oluştu',
    },
    texts: {
      notFound: 'Bu dosya veya indirme yok ya da süresi dolduğu için silindi.',
      gone: 'Bu dosya yalnızca bir kez indirilebiliyordu ve bu zaten oldu.',
      unauthorized:
        'Bu indirme korumalı veya bağlantısının süresi doldu. İndirme sayfasını açıp parolayı girin.',
      changed: 'Sayfa yüklendikten sonra dosyalar değişti. İndirme sayfasını yeniden açın.',
      error: 'Sunucu bu isteğe yanıt veremedi. Lütfen daha sonra yeniden deneyin.',
    },
    home: 'Dosya paylaş',
    reference: 'Başvuru numarası',
  },
  zh: {
    titles: {
      notFound: '未找到',
      gone: '已下载',
      unauthorized: '需要密码',
      changed: '文件已变更',
      error: '出错了',
    },
    texts: {
      notFound: '此文件或下载不存在，或已到期并被删除。',
      gone: '此文件只能下载一次，且已被下载。',
      unauthorized: '此下载受保护，或其链接已过期。请打开下载页面并输入密码。',
      changed: '页面加载后文件发生了变化。请重新打开下载页面。',
      error: '服务器无法响应此请求。请稍后重试。',
    },
    home: '分享文件',
    reference: '参考编号',
  },
  'zh-tw': {
    titles: {
      notFound: '找不到',
      gone: '已下載',
      unauthorized: '需要密碼',
      changed: '檔案已變更',
      error: '發生問題',
    },
    texts: {
      notFound: '這個檔案或下載不存在，或已到期並被刪除。',
      gone: '這個檔案只能下載一次，且已被下載。',
      unauthorized: '這個下載受密碼保護，或其連結已過期。請開啟下載頁面並輸入密碼。',
      changed: '頁面載入後檔案有所變更。請重新開啟下載頁面。',
      error: '伺服器無法回應這個要求。請稍後再試。',
    },
    home: '分享檔案',
    reference: '參考編號',
  },
}

/** The page for an error code of ours (`@psitransfer/core`'s codes). */
export function errorKindFor(code: string): ErrorKind {
  switch (code) {
    case 'NOT_FOUND':
    case 'INVALID_ID':
      return 'notFound'
    case 'GONE':
      return 'gone'
    case 'UNAUTHORIZED':
    case 'FORBIDDEN':
      return 'unauthorized'
    default:
      return 'error'
  }
}

interface MediaRange {
  type: string
  q: number
}

function parseAccept(accept: string): MediaRange[] {
  return accept.split(',').flatMap((part) => {
    const [range = '', ...params] = part.split(';')
    const type = range.trim().toLowerCase()
    if (!type) return []
    let q = 1
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)
      if (m) q = Math.min(1, Number(m[1]))
    }
    return Number.isFinite(q) ? [{ type, q }] : []
  })
}

function quality(ranges: MediaRange[], type: string): number {
  const [major] = type.split('/')
  const exact = ranges.find((r) => r.type === type)
  if (exact) return exact.q
  const partial = ranges.find((r) => r.type === `${major}/*`)
  if (partial) return partial.q
  return ranges.find((r) => r.type === '*/*')?.q ?? 0
}

/**
 * Whether an error answer should be the HTML page: only when the client names `text/html`
 * itself (browsers navigating do; `fetch`, XHR, curl and tus clients send a wildcard or ask for
 * JSON) and ranks it at least as high as JSON. Anything else keeps our JSON.
 */
export function wantsHtml(accept: string | undefined): boolean {
  if (!accept) return false
  const ranges = parseAccept(accept)
  const html = ranges.find((r) => r.type === 'text/html')?.q ?? 0
  if (html <= 0) return false
  return html >= quality(ranges, 'application/json')
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}

const STYLE =
  'body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1f2328;background:#f6f8fa}' +
  'main{max-width:34rem;margin:12vh auto;padding:2rem;background:#fff;border:1px solid #d0d7de;border-radius:8px}' +
  'h1{margin:0 0 .5rem;font-size:1.4rem}p{margin:0 0 1rem}.status{color:#57606a;font-size:.9rem}' +
  'a{color:#0969da}small{color:#57606a}' +
  '@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}' +
  'main{background:#161b22;border-color:#30363d}a{color:#4493f8}.status,small{color:#8d96a0}}'

/**
 * CSP for the page: nothing but its own `<style>`, allowed by hash (no `unsafe-inline`).
 * The page must be sent with it (and without the app page's CSP).
 */
export const ERROR_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Headers the page goes out with (status is the error's own). */
export const ERROR_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': ERROR_PAGE_CSP,
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
}

/** The page in `lang`. `homeUrl` is the upload page (`config.uploadAppPath`). */
export function renderErrorPage(args: {
  lang: Language
  kind: ErrorKind
  status: number
  homeUrl: string
  requestId?: string
}): string {
  const t = TEXTS[args.lang]
  const title = t.titles[args.kind]
  const ref = args.requestId
    ? `<p><small>${escapeHtml(t.reference)}: <code>${escapeHtml(args.requestId)}</code></small></p>`
    : ''
  return [
    '<!doctype html>',
    `<html lang="${escapeHtml(args.lang === 'zh-tw' ? 'zh-TW' : args.lang)}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
    '<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>`,
    '<body><main>',
    `<p class="status">${escapeHtml(String(args.status))}</p>`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>${escapeHtml(t.texts[args.kind])}</p>`,
    `<p><a href="${escapeHtml(args.homeUrl)}">${escapeHtml(t.home)}</a></p>`,
    ref,
    '</main></body></html>',
    '',
  ].join('\n')
}

/**
 * The HTML answer for an error on a file or archive URL, or `undefined` when the client should
 * get our JSON. Language: `?lang=`, then `Accept-Language`, then the configured default.
 */
export function htmlErrorAnswer(
  request: { accept: string | undefined; acceptLanguage: string | undefined; langQuery?: string | undefined },
  error: { status: number; code: string; kind?: ErrorKind },
  options: { defaultLanguage: string; homeUrl: string; requestId?: string },
): { status: number; headers: Record<string, string>; body: string } | undefined {
  if (!wantsHtml(request.accept)) return undefined
  const lang = pickLanguage(request.langQuery, request.acceptLanguage, options.defaultLanguage)
  const body = renderErrorPage({
    lang,
    kind: error.kind ?? errorKindFor(error.code),
    status: error.status,
    homeUrl: options.homeUrl,
    ...(options.requestId ? { requestId: options.requestId } : {}),
  })
  return {
    status: error.status,
    headers: { ...ERROR_PAGE_HEADERS, 'Content-Language': lang, Vary: 'Accept, Accept-Language' },
    body,
  }
}

/** Details key a thrown error may carry to pick a page other than its code's (`'changed'`). */
export const ERROR_PAGE_DETAIL = 'errorPage'

const KINDS: readonly ErrorKind[] = ['notFound', 'gone', 'unauthorized', 'changed', 'error']

/**
 * The HTML answer for a failed browser navigation to a file or archive URL (`GET`/`HEAD
 * {B}files/…`, not a TUS request), or `undefined` for every other request and for clients that
 * want JSON. `details[ERROR_PAGE_DETAIL]` of the error may name the page.
 */
export function fileErrorPage(
  request: {
    method: string
    path: string
    /** Sent `Tus-Resumable` (a TUS HEAD on the same URL). */
    tus: boolean
    accept: string | undefined
    acceptLanguage: string | undefined
    langQuery: string | undefined
  },
  error: { status: number; code: string; details?: Record<string, unknown> | undefined },
  options: { baseUrl: string; defaultLanguage: string; homeUrl: string; requestId?: string },
): { status: number; headers: Record<string, string>; body: string } | undefined {
  if (request.method !== 'GET' && request.method !== 'HEAD') return undefined
  if (request.tus || !request.path.startsWith(`${options.baseUrl}files/`)) return undefined
  const named = error.details?.[ERROR_PAGE_DETAIL]
  const kind = KINDS.find((k) => k === named)
  return htmlErrorAnswer(
    { accept: request.accept, acceptLanguage: request.acceptLanguage, langQuery: request.langQuery },
    { status: error.status, code: error.code, ...(kind ? { kind } : {}) },
    {
      defaultLanguage: options.defaultLanguage,
      homeUrl: options.homeUrl,
      ...(options.requestId ? { requestId: options.requestId } : {}),
    },
  )
}
