// Which webhook targets are refused: private, loopback, link-local (cloud
// metadata), unique-local, CGNAT and the like, by address and after DNS.
import { describe, expect, it } from 'vitest';
import { isPublicAddress, parseWebhookUrl, RefusedTargetError, resolveTarget } from './webhook-targets.js';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254', // cloud metadata
    '100.64.0.1', // CGNAT
    '100.100.100.200', // a metadata service inside CGNAT space
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '192.0.2.1', // documentation
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254', // unique-local (AWS IPv6 metadata)
    'fc00::1',
    '::ffff:127.0.0.1', // IPv4-mapped loopback
    '::ffff:10.0.0.1',
    '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
    '2002:7f00:1::', // 6to4 of 127.0.0.1
    'not an address',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'accepts %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );
});

describe('parseWebhookUrl', () => {
  it.each([
    ['ftp://example.com/x', /http or https/],
    ['https://user:pass@example.com/', /credentials/],
    ['https://example.com/#frag', /fragment/],
    ['not a url', /not a valid URL/],
    [`https://example.com/${'a'.repeat(2000)}`, /1 to 2000 characters/],
  ])('refuses %s', (url, why) => {
    expect(() => parseWebhookUrl(url)).toThrow(why);
  });

  it('normalises numeric hosts, so 2130706433 is seen as 127.0.0.1', async () => {
    const url = parseWebhookUrl('http://2130706433:8080/hook');
    expect(url.hostname).toBe('127.0.0.1');
    await expect(resolveTarget(url, { allowPrivate: false })).rejects.toThrow(/127\.0\.0\.1, which is not a public/);
  });
});

describe('resolveTarget', () => {
  const url = new URL('https://partner.example/hooks');

  it('refuses a host that resolves to a private address, even when it also has a public one', async () => {
    const resolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.1.2.3', family: 4 },
    ];
    const refused = await resolveTarget(url, { allowPrivate: false, resolver }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RefusedTargetError);
    expect((refused as Error).message).toBe('host partner.example resolves to 10.1.2.3, which is not a public address');
  });

  it('returns the checked address, for the connection to use', async () => {
    const resolver = async () => [{ address: '93.184.216.34', family: 4 }];
    expect(await resolveTarget(url, { allowPrivate: false, resolver })).toMatchObject({
      address: '93.184.216.34',
      family: 4,
    });
  });

  it('resolves through the system DNS: localhost is loopback', async () => {
    await expect(resolveTarget(new URL('http://localhost:9/'), { allowPrivate: false })).rejects.toThrow(
      /host localhost resolves to (127\.0\.0\.1|::1)/,
    );
    expect((await resolveTarget(new URL('http://localhost:9/'), { allowPrivate: true })).address).toMatch(
      /^(127\.0\.0\.1|::1)$/,
    );
  });

  it('an unknown host is refused with the reason', async () => {
    await expect(resolveTarget(new URL('http://no-such-host.invalid/'), { allowPrivate: false })).rejects.toThrow(
      /could not be resolved/,
    );
  });
});
