/** Locates (or, on Debian as root, installs) the ZooKeeper server the harness runs. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const DEBIAN_JAR = '/usr/share/java/zookeeper.jar';
const DEBIAN_LOGGER = '/usr/share/java/slf4j-simple.jar';
const DEBIAN_TLS_JARS = ['/usr/share/java/netty-codec.jar'];

/** Returns ZK_HOSTS when set: tests then use that server instead of starting one. */
export function externalHosts(): string | undefined {
  const v = process.env.ZK_HOSTS?.trim();
  return v ? v : undefined;
}

/** The java executable to run ZooKeeper with ($JAVA_HOME/bin/java, else `java` on PATH). */
export function javaBin(): string {
  const home = process.env.JAVA_HOME;
  if (home && fs.existsSync(path.join(home, 'bin', 'java'))) return path.join(home, 'bin', 'java');
  return 'java';
}

/** Whether a ZooKeeper server can be started here, and with which classpath. */
export function zkServerAvailable(): { ok: true; classpath: string } | { ok: false; message: string } {
  const home = process.env.ZOOKEEPER_HOME;
  if (home && fs.existsSync(path.join(home, 'lib'))) {
    const parts = [path.join(home, '*'), path.join(home, 'lib', '*')];
    if (fs.existsSync(path.join(home, 'conf'))) parts.push(path.join(home, 'conf'));
    return { ok: true, classpath: parts.join(path.delimiter) };
  }
  if (fs.existsSync(DEBIAN_JAR)) {
    // The Debian jar's manifest Class-Path pulls in its dependencies but no slf4j binding.
    const parts = [DEBIAN_JAR];
    if (fs.existsSync(DEBIAN_LOGGER)) parts.push(DEBIAN_LOGGER);
    return { ok: true, classpath: parts.join(path.delimiter) };
  }
  return {
    ok: false,
    message:
      'No ZooKeeper server found: install Debian\'s `zookeeper` package (apt-get install zookeeper), ' +
      'set ZOOKEEPER_HOME to a ZooKeeper install with lib/*.jar, ' +
      'or run `docker compose up -d` and set ZK_HOSTS (e.g. ZK_HOSTS=127.0.0.1:2181).',
  };
}

/**
 * Jars a TLS (Netty) server needs on top of zkServerAvailable()'s classpath. The Debian jar's manifest
 * lacks netty-codec (SslHandler's superclass): without it every TLS connection is dropped with
 * NoClassDefFoundError: io/netty/handler/codec/ByteToMessageDecoder. A ZOOKEEPER_HOME lib/ has them all.
 */
export function tlsExtraJars(): string[] {
  const home = process.env.ZOOKEEPER_HOME;
  if (home && fs.existsSync(path.join(home, 'lib'))) return [];
  if (!fs.existsSync(DEBIAN_JAR)) return [];
  return DEBIAN_TLS_JARS.filter((j) => fs.existsSync(j));
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stderr.write(`[zoosync harness] running: ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, {
      stdio: ['ignore', process.stderr, process.stderr],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

/** Makes sure a ZooKeeper server is available, installing Debian's package when root on Debian. */
export async function ensureZooKeeper(): Promise<void> {
  const found = zkServerAvailable();
  if (found.ok) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && fs.existsSync('/etc/debian_version')) {
    process.stderr.write('[zoosync harness] ZooKeeper not found; installing Debian package `zookeeper`\n');
    await run('apt-get', ['update']);
    await run('apt-get', ['install', '-y', 'zookeeper']);
    const again = zkServerAvailable();
    if (again.ok) return;
    throw new Error(`apt-get install zookeeper did not provide ${DEBIAN_JAR}. ${again.message}`);
  }
  throw new Error(found.message);
}
