/** A hand-rolled ZooKeeper connect handshake over node:tls, to check harness TLS servers without zoosync. */
import * as tls from 'node:tls';

/** What a ZooKeeper server answered to a ConnectRequest over TLS. */
export interface ZkTlsHandshake {
  /** ConnectResponse.protocolVersion (0). */
  protocolVersion: number;
  /** The negotiated session timeout (ms). */
  timeOutMs: number;
  /** The new session's id. */
  sessionId: bigint;
  /** The TLS version negotiated, e.g. 'TLSv1.2'. */
  tlsProtocol: string | null;
  /** The negotiated cipher suite's OpenSSL name. */
  cipher: string;
}

/** A length-prefixed jute ConnectRequest for a new session (protocol 0, no zxid, 16 zero password bytes). */
export function connectRequestBytes(sessionTimeoutMs: number): Buffer {
  const b = Buffer.alloc(4 + 44);
  b.writeInt32BE(44, 0); // frame length
  b.writeInt32BE(0, 4); // protocolVersion
  b.writeBigInt64BE(0n, 8); // lastZxidSeen
  b.writeInt32BE(sessionTimeoutMs, 16); // timeOut
  b.writeBigInt64BE(0n, 20); // sessionId
  b.writeInt32BE(16, 28); // passwd length; 16 zero bytes follow
  return b;
}

/** A length-prefixed closeSession request (xid 1, OpCode.closeSession = -11). */
const CLOSE_SESSION = Buffer.from([0, 0, 0, 8, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xf5]);

/** Parses one ConnectResponse frame (length prefix included); undefined while incomplete. */
export function parseConnectResponse(buf: Buffer): Omit<ZkTlsHandshake, 'tlsProtocol' | 'cipher'> | undefined {
  if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return undefined;
  if (buf.readInt32BE(0) < 16) throw new Error(`ConnectResponse frame too short: ${buf.readInt32BE(0)} bytes`);
  return { protocolVersion: buf.readInt32BE(4), timeOutMs: buf.readInt32BE(8), sessionId: buf.readBigInt64BE(12) };
}

/**
 * Connects with tls.connect(options), sends a ConnectRequest and resolves with the ConnectResponse (then
 * closes the session). Rejects with Node's TLS error as is (its `code`, e.g. CERT_HAS_EXPIRED), or with an
 * Error whose code is ZK_TLS_CLOSED (server closed first) or ZK_TLS_TIMEOUT.
 */
export function zkTlsHandshake(
  options: tls.ConnectionOptions,
  { timeoutMs = 5000, sessionTimeoutMs = 4000 }: { timeoutMs?: number; sessionTimeoutMs?: number } = {},
): Promise<ZkTlsHandshake> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let secure = false;
    let data = Buffer.alloc(0);
    const sock = tls.connect(options);
    const where = `${options.host ?? 'localhost'}:${options.port}`;
    const fail = (err: Error, code?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (code) Object.assign(err, { code });
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new Error(`TLS ${where}: no ConnectResponse within ${timeoutMs} ms`), 'ZK_TLS_TIMEOUT'),
      timeoutMs,
    );
    sock.once('secureConnect', () => {
      secure = true;
      sock.write(connectRequestBytes(sessionTimeoutMs));
    });
    sock.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      let res;
      try {
        res = parseConnectResponse(data);
      } catch (err) {
        fail(err as Error);
        return;
      }
      if (!res || settled) return;
      settled = true;
      clearTimeout(timer);
      const cipher = sock.getCipher().name;
      const tlsProtocol = sock.getProtocol();
      sock.end(CLOSE_SESSION);
      sock.setTimeout(1000, () => sock.destroy());
      resolve({ ...res, tlsProtocol, cipher });
    });
    sock.on('error', (err: Error) => fail(err));
    sock.on('close', () => {
      const stage = secure ? 'after the TLS handshake' : 'during the TLS handshake';
      fail(new Error(`TLS ${where}: server closed the connection ${stage}, before a ConnectResponse`), 'ZK_TLS_CLOSED');
    });
  });
}
