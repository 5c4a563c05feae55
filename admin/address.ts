/** A TCP address to listen on. */
export interface ListenAddress {
  host: string;
  /** 0 lets the operating system choose a free port. */
  port: number;
}

/** Default address of the admin server, on loopback. */
export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1:18080';

/**
 * Parses `HOST:PORT`, with IPv6 hosts in brackets (`[::1]:18080`). Throws an error that names
 * the value and the expected form when the host is empty or the port is not 0 to 65535.
 */
export function parseListenAddress(text: string): ListenAddress {
  const invalid = (why: string): Error =>
    new Error(`invalid listen address ${JSON.stringify(text)}: ${why}. Use HOST:PORT, such as ${DEFAULT_ADMIN_ADDRESS}`);

  const separator = text.lastIndexOf(':');
  if (separator < 0) throw invalid('missing port');

  let host = text.slice(0, separator);
  const portText = text.slice(separator + 1);
  if (host.startsWith('[') && host.endsWith(']')) {
    host = host.slice(1, -1);
  } else if (host.includes(':')) {
    throw invalid('an IPv6 host must be in brackets');
  }
  if (host === '') throw invalid('missing host');

  if (!/^\d{1,5}$/.test(portText)) throw invalid(`port ${JSON.stringify(portText)} is not a number`);
  const port = Number(portText);
  if (port > 65535) throw invalid(`port ${port} is above 65535`);
  return { host, port };
}
