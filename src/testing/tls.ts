/** A throwaway PKI for TLS tests, generated with openssl into a registered temp dir (never committed). */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerDir } from './registry.js';

/** Which server certificate a TLS server presents: valid, wrong host name, or expired. */
export type ServerCertVariant = 'good' | 'wrong-host' | 'expired';

/** A PEM certificate and its unencrypted PEM (PKCS#8) private key, as file paths. */
export interface PemFiles {
  /** The certificate (PEM). */
  cert: string;
  /** The private key (PEM, unencrypted). */
  key: string;
}

/** One server certificate: PEM files for Node plus a PKCS12 keystore for ZooKeeper. */
export interface ServerCertFiles extends PemFiles {
  /** PKCS12 keystore with the key and certificate (password: TestPki.keyStorePassword). */
  keyStore: string;
  /** SANs the certificate carries (for messages). */
  subjectAltName: string;
}

/** Paths and passwords of one generated test PKI. */
export interface TestPki {
  /** The temp dir holding every file (removed by stopAll() or at exit). */
  dir: string;
  /** The CA every server and client certificate is signed by (PEM). */
  ca: string;
  /** An unrelated CA that signed nothing here ("unknown CA" tests) (PEM). */
  otherCa: string;
  /** The server certificates: SAN IP:127.0.0.1,DNS:localhost; only DNS:wrong.example; and one expired. */
  servers: Record<ServerCertVariant, ServerCertFiles>;
  /** The client certificate (CN zoosync-client) signed by the CA. */
  client: PemFiles;
  /** Type of every server keystore. */
  keyStoreType: 'PKCS12';
  /** Password of every server keystore. */
  keyStorePassword: string;
  /** ZooKeeper's truststore: the CA PEM file itself. */
  trustStore: string;
  /** Type of the truststore (ZooKeeper 3.8 reads PEM truststores; no password needed). */
  trustStoreType: 'PEM';
  /** How long generation took (ms). */
  generatedInMs: number;
}

const LEAF_EXT = [
  'basicConstraints = critical, CA:false',
  'keyUsage = critical, digitalSignature, keyEncipherment',
];
const SERVER_SANS: Record<ServerCertVariant, string> = {
  good: 'IP:127.0.0.1, DNS:localhost',
  'wrong-host': 'DNS:wrong.example',
  expired: 'IP:127.0.0.1, DNS:localhost',
};

/** openssl.cnf for requests, extensions and the `openssl ca` run that backdates the expired certificate. */
function opensslCnf(): string {
  const sections: string[] = [
    '[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = unused',
    '[ca_ext]', 'basicConstraints = critical, CA:true', 'keyUsage = critical, keyCertSign, cRLSign',
    'subjectKeyIdentifier = hash',
    '[client_ext]', ...LEAF_EXT, 'extendedKeyUsage = clientAuth',
  ];
  for (const [v, san] of Object.entries(SERVER_SANS)) {
    sections.push(`[${v}_ext]`, ...LEAF_EXT, 'extendedKeyUsage = serverAuth', `subjectAltName = ${san}`);
  }
  sections.push(
    '[ca]', 'default_ca = test_ca',
    '[test_ca]', 'database = ./ca-db/index.txt', 'new_certs_dir = ./ca-db', 'serial = ./ca-db/serial',
    'default_md = sha256', 'policy = any_policy', 'unique_subject = no', 'copy_extensions = none',
    '[any_policy]', 'commonName = supplied',
  );
  return sections.join('\n') + '\n';
}

/** Runs openssl in dir; rejects with a clear message if it is missing or fails. */
function openssl(dir: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd: dir, timeout: 20_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        const hint = 'TLS tests generate their certificates with it (apt-get install openssl)';
        reject(new Error(`openssl not found on PATH: ${hint}`));
      } else {
        reject(new Error(`openssl ${args.join(' ')} failed: ${String(stderr).trim() || err.message}`));
      }
    });
  });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A self-signed CA: name.pem and name.key. */
function makeCa(dir: string, name: string, cn: string): Promise<void> {
  return openssl(dir, [
    'req', '-x509', '-config', 'openssl.cnf', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-days', '30', '-subj', `/CN=${cn}`, '-extensions', 'ca_ext',
  ]);
}

/** A key and CSR: name.key and name.csr. */
function makeCsr(dir: string, name: string, cn: string): Promise<void> {
  return openssl(dir, ['req', '-new', '-config', 'openssl.cnf', ...EC_KEY, '-keyout', `${name}.key`,
    '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
}

/** Signs name.csr with the CA for 30 days from now: name.pem. */
function signNow(dir: string, name: string, ext: string): Promise<void> {
  return openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '30',
    '-extfile', 'openssl.cnf', '-extensions', ext, '-out', `${name}.pem`,
  ]);
}

/** YYYYMMDDHHMMSSZ, as `openssl ca -startdate/-enddate` want it. */
function asn1Time(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Signs name.csr with the CA, valid from 2 days ago until 1 day ago (openssl 3.0's x509 cannot backdate). */
function signExpired(dir: string, name: string, ext: string): Promise<void> {
  const day = 86_400_000;
  fs.mkdirSync(path.join(dir, 'ca-db'));
  fs.writeFileSync(path.join(dir, 'ca-db', 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'ca-db', 'serial'), `${randomBytes(8).toString('hex')}\n`);
  return openssl(dir, [
    'ca', '-batch', '-config', 'openssl.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${name}.csr`,
    '-out', `${name}.pem`, '-notext', '-startdate', asn1Time(Date.now() - 2 * day),
    '-enddate', asn1Time(Date.now() - day), '-extfile', 'openssl.cnf', '-extensions', ext,
  ]);
}

/** Bundles name.pem and name.key into the PKCS12 keystore name.p12. */
function makeKeyStore(dir: string, name: string, password: string): Promise<void> {
  return openssl(dir, ['pkcs12', '-export', '-in', `${name}.pem`, '-inkey', `${name}.key`, '-name', 'server',
    '-out', `${name}.p12`, '-passout', `pass:${password}`]);
}

/** Generates a fresh PKI into a new registered temp dir (about 0.3 s; use makeTestPki() for the cached one). */
export async function generateTestPki(): Promise<TestPki> {
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zoosync-pki-'));
  registerDir(dir);
  fs.writeFileSync(path.join(dir, 'openssl.cnf'), opensslCnf());
  const password = randomBytes(12).toString('hex');
  const variants = Object.keys(SERVER_SANS) as ServerCertVariant[];
  await Promise.all([
    makeCa(dir, 'ca', 'zoosync test CA'),
    makeCa(dir, 'other-ca', 'zoosync unrelated test CA'),
    makeCsr(dir, 'client', 'zoosync-client'),
    ...variants.map((v) => makeCsr(dir, `server-${v}`, `zoosync-server-${v}`)),
  ]);
  await Promise.all([
    signNow(dir, 'client', 'client_ext'),
    ...variants.map((v) =>
      v === 'expired' ? signExpired(dir, `server-${v}`, `${v}_ext`) : signNow(dir, `server-${v}`, `${v}_ext`),
    ),
  ]);
  await Promise.all(variants.map((v) => makeKeyStore(dir, `server-${v}`, password)));
  const p = (f: string): string => path.join(dir, f);
  const servers = Object.fromEntries(
    variants.map((v) => {
      const files = { cert: p(`server-${v}.pem`), key: p(`server-${v}.key`), keyStore: p(`server-${v}.p12`) };
      return [v, { ...files, subjectAltName: SERVER_SANS[v] }];
    }),
  ) as Record<ServerCertVariant, ServerCertFiles>;
  return {
    dir,
    ca: p('ca.pem'),
    otherCa: p('other-ca.pem'),
    servers,
    client: { cert: p('client.pem'), key: p('client.key') },
    keyStoreType: 'PKCS12',
    keyStorePassword: password,
    trustStore: p('ca.pem'),
    trustStoreType: 'PEM',
    generatedInMs: Date.now() - t0,
  };
}

let cached: Promise<TestPki> | undefined;

/** The test process's PKI, generated on first use and again if stopAll() removed its dir. */
export async function makeTestPki(): Promise<TestPki> {
  if (cached) {
    const pki = await cached.catch(() => undefined);
    if (pki && fs.existsSync(pki.servers.expired.keyStore)) return pki;
  }
  cached = generateTestPki();
  return cached;
}
