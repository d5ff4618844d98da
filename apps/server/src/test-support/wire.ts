/**
 * One raw HTTP request over a real socket (node:http, no fetch): what a TUS client puts on the
 * wire, and exactly what comes back. For tests of the Node listener and the TUS fast path.
 * @module
 */
import { request } from 'node:http'

export interface WireResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

export function send(
  origin: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}
