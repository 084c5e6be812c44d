/**
 * IPv4 and IPv6 addresses and CIDR blocks, for the `cidr` operator of event patterns.
 * Addresses are held as BigInt so both families share one containment test.
 */

export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
}

export interface CidrBlock {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefixLength: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseIpv4(text: string): bigint | undefined {
  const match = IPV4.exec(text);
  if (!match) return undefined;
  let value = 0n;
  for (const octet of match.slice(1)) {
    // A leading zero would read as octal in some parsers; refuse the ambiguity.
    if (octet.length > 1 && octet.startsWith('0')) return undefined;
    const n = Number(octet);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseGroups(part: string, allowTrailingIpv4: boolean): bigint[] | undefined {
  if (part === '') return [];
  const groups: bigint[] = [];
  const pieces = part.split(':');
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (allowTrailingIpv4 && i === pieces.length - 1 && piece.includes('.')) {
      const v4 = parseIpv4(piece);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
    } else if (HEX_GROUP.test(piece)) {
      groups.push(BigInt(`0x${piece}`));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

export function parseIpAddress(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  if (!text.includes(':')) return undefined;
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

function bits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function mask(family: 4 | 6, prefixLength: number): bigint {
  const width = BigInt(bits(family));
  const host = width - BigInt(prefixLength);
  return ((1n << width) - 1n) ^ ((1n << host) - 1n);
}

/** Parses `address/prefix`; returns a reason string when the text is not a CIDR block. */
export function parseCidr(text: string): CidrBlock | string {
  const slash = text.split('/');
  if (slash.length !== 2) return 'a CIDR block needs exactly one "/"';
  const address = parseIpAddress(slash[0]!);
  if (!address) return `"${slash[0]}" is not an IPv4 or IPv6 address`;
  if (!/^\d{1,3}$/.test(slash[1]!)) return `"${slash[1]}" is not a prefix length`;
  const prefixLength = Number(slash[1]);
  if (prefixLength > bits(address.family)) {
    return `prefix length ${prefixLength} is longer than an IPv${address.family} address`;
  }
  return { family: address.family, network: address.value & mask(address.family, prefixLength), prefixLength };
}

export function cidrContains(block: CidrBlock, address: IpAddress): boolean {
  return block.family === address.family && (address.value & mask(block.family, block.prefixLength)) === block.network;
}
