import { describe, expect, it } from 'vitest'
import { silentLogger } from '../logger.js'
import { clientIpOf, clientKeyOf, trustedForwarded } from './client.js'

describe('client address behind trusted proxies', () => {
  const facts = (xff: string | undefined, remoteAddress = '10.0.0.2') => ({
    header: (name: string) => (name === 'x-forwarded-for' ? xff : undefined),
    remoteAddress,
    log: silentLogger,
  })

  it('takes the entry the outermost trusted proxy wrote, never the client-written leftmost', () => {
    // The client sent "X-Forwarded-For: 6.6.6.6"; our one proxy appended the address it saw.
    expect(clientIpOf(facts('6.6.6.6, 198.51.100.7'), 1)).toBe('198.51.100.7')
    expect(clientIpOf(facts('6.6.6.6, 198.51.100.7, 10.0.0.9'), 2)).toBe('198.51.100.7')
    // Fewer entries than trusted hops: all of them came through trusted proxies.
    expect(clientIpOf(facts('198.51.100.7'), 3)).toBe('198.51.100.7')
    // Not trusted: the peer address, whatever the header says.
    expect(clientIpOf(facts('6.6.6.6, 198.51.100.7'), 0)).toBe('10.0.0.2')
    expect(clientIpOf(facts(undefined), 1)).toBe('10.0.0.2')
    expect(clientIpOf(facts(' , '), 1)).toBe('10.0.0.2')
    expect(trustedForwarded('http, https', 1)).toBe('https')
    expect(trustedForwarded('evil.example,files.example', 1)).toBe('files.example')
  })

  it('counts IPv6 clients by their /64 and IPv4-mapped addresses as IPv4', () => {
    expect(clientKeyOf(facts(undefined, '2001:db8:0:1:aaaa::1'), 0)).toBe('2001:db8:0:1::/64')
    expect(clientKeyOf(facts(undefined, '2001:0DB8:0000:0001:ffff:1:2:3'), 0)).toBe('2001:db8:0:1::/64')
    expect(clientKeyOf(facts(undefined, '2001:db8::7'), 0)).toBe('2001:db8:0:0::/64')
    expect(clientKeyOf(facts(undefined, '::1'), 0)).toBe('0:0:0:0::/64')
    expect(clientKeyOf(facts(undefined, '::ffff:192.0.2.1'), 0)).toBe('192.0.2.1')
    expect(clientKeyOf(facts('192.0.2.9'), 1)).toBe('192.0.2.9')
  })
})
