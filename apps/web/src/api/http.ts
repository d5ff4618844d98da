/** fetch wrappers that turn the server's JSON or plain-text errors into one error type. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** Reads `{code, message}` JSON, or plain text (TUS endpoint errors), into an ApiError. */
export async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '')
  let code = `HTTP_${res.status}`
  let message = text.trim() || res.statusText || `HTTP ${res.status}`
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown; error?: unknown }
    if (typeof body.code === 'string') code = body.code
    if (typeof body.message === 'string') message = body.message
    else if (typeof body.error === 'string') message = body.error
  } catch {
    // plain text body: keep it (first line only, servers may append details)
    message = message.split('\n')[0]!.slice(0, 300)
  }
  return new ApiError(res.status, code, message)
}

/** Network failure (offline, DNS, connection refused) as an ApiError with status 0. */
export function networkError(cause: unknown): ApiError {
  return new ApiError(0, 'NETWORK', cause instanceof Error ? cause.message : String(cause))
}

export async function request(url: URL | string, init: RequestInit = {}): Promise<Response> {
  let res: Response
  try {
    res = await fetch(url, { credentials: 'same-origin', ...init })
  } catch (e) {
    throw networkError(e)
  }
  if (!res.ok) throw await errorFrom(res)
  return res
}

export async function getJson<T>(url: URL | string, headers: Record<string, string> = {}): Promise<T> {
  const res = await request(url, { headers: { Accept: 'application/json', ...headers }, cache: 'no-store' })
  return (await res.json()) as T
}
