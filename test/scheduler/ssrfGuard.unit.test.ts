import { describe, expect, it } from 'vitest';
import { checkAddress, resolveAndCheck } from '../../src/scheduler/ssrfGuard.js';
import type { Lookup } from '../../src/scheduler/ssrfGuard.js';

describe('checkAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.10', 'private'],
    ['169.254.1.1', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.7', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.7', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'site_local'],
    ['2001:db8::1', 'documentation'],
    ['2001:0:4136:e378::1', 'reserved'], // Teredo
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::127.0.0.1', 'loopback'], // IPv4-compatible
    ['64:ff9b::a9fe:a9fe', 'metadata'], // NAT64 of 169.254.169.254
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:c0a8:101::1', 'private'], // 6to4 of 192.168.1.1
    ['[::1]', 'loopback'],
    ['4000::1', 'reserved'], // outside 2000::/3
  ])('%s is refused as %s', (ip, range) => {
    expect(checkAddress(ip)).toMatchObject({ allowed: false, range });
  });

  it('names the IPv6 form that carried a refused IPv4', () => {
    expect(checkAddress('::ffff:127.0.0.1')).toEqual({ allowed: false, range: 'loopback', via: 'ipv4_mapped' });
    expect(checkAddress('64:ff9b::7f00:1')).toEqual({ allowed: false, range: 'loopback', via: 'nat64' });
  });

  it.each(['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2a00:1450:4001::200e'])(
    'allows the public address %s',
    (ip) => {
      expect(checkAddress(ip)).toEqual({ allowed: true });
    },
  );

  it('refuses what is not an IP literal', () => {
    expect(checkAddress('example.com')).toEqual({ allowed: false, range: 'invalid' });
    expect(checkAddress('127.1')).toEqual({ allowed: false, range: 'invalid' });
  });
});

describe('resolveAndCheck', () => {
  const table: Record<string, string[]> = {
    'public.example': ['93.184.216.34'],
    'mixed.example': ['93.184.216.34', '10.0.0.7'],
    'dual.example': ['2606:4700::1111', '93.184.216.34'],
    'dev.example': ['127.0.0.1'],
  };
  const calls: string[] = [];
  const lookup: Lookup = async (host) => {
    calls.push(host);
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

  it('returns the first address of a public name, after one look-up', async () => {
    calls.length = 0;
    await expect(resolveAndCheck('dual.example', { lookup, allowPrivate: false })).resolves.toEqual({ ok: true, address: '2606:4700::1111', family: 6 });
    expect(calls).toEqual(['dual.example']);
  });

  it('refuses a name when any of its addresses is private, even if a public one comes first', async () => {
    const result = await resolveAndCheck('mixed.example', { lookup, allowPrivate: false });
    expect(result).toMatchObject({ ok: false, reason: 'blocked', address: '10.0.0.7', range: 'private' });
  });

  it('checks IP literals without any look-up, brackets and all', async () => {
    calls.length = 0;
    await expect(resolveAndCheck('[::ffff:7f00:1]', { lookup, allowPrivate: false })).resolves.toMatchObject({ ok: false, range: 'loopback', via: 'ipv4_mapped' });
    await expect(resolveAndCheck('[2606:4700::1111]', { lookup, allowPrivate: false })).resolves.toEqual({ ok: true, address: '2606:4700::1111', family: 6 });
    expect(calls).toEqual([]);
  });

  it('reports an unknown name as a DNS failure', async () => {
    await expect(resolveAndCheck('nowhere.example', { lookup, allowPrivate: false })).resolves.toMatchObject({ ok: false, reason: 'dns' });
  });

  it('the development switch lets loopback and private through but never cloud metadata', async () => {
    await expect(resolveAndCheck('dev.example', { lookup, allowPrivate: true })).resolves.toEqual({ ok: true, address: '127.0.0.1', family: 4 });
    await expect(resolveAndCheck('10.0.0.1', { lookup, allowPrivate: true })).resolves.toMatchObject({ ok: true });
    await expect(resolveAndCheck('169.254.169.254', { lookup, allowPrivate: true })).resolves.toMatchObject({ ok: false, range: 'metadata' });
    await expect(resolveAndCheck('[fd00:ec2::254]', { lookup, allowPrivate: true })).resolves.toMatchObject({ ok: false, range: 'metadata' });
  });
});
