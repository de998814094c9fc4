/** Small loopback networking helpers shared by the harness. */
import * as net from 'node:net';

/** A host and port pair. */
export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port" (or passes a HostPort through). */
export function parseHostPort(target: HostPort | string): HostPort {
  if (typeof target !== 'string') return { host: target.host, port: target.port };
  const i = target.lastIndexOf(':');
  const port = Number(target.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0) throw new Error(`bad host:port "${target}"`);
  return { host: target.slice(0, i), port };
}

/** Returns n distinct free TCP ports on 127.0.0.1 (bound to port 0 together, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** Resolves after ms milliseconds (a ref'd timer, so it keeps the process alive while awaited). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends a ZooKeeper four-letter word and returns the whole reply; rejects on error or timeout. */
export function fourLetter(host: string, port: number, cmd: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const sock = net.connect({ host, port });
    const done = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(
      () => done(new Error(`"${cmd}" to ${host}:${port}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.on('connect', () => sock.end(cmd));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('end', () => done());
    sock.on('close', () => done());
    sock.on('error', (e) => done(e));
  });
}

/** Whether a TCP connection to host:port succeeds within timeoutMs (closed again at once). */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
