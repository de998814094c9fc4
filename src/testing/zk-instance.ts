/** One harness-started ZooKeeper server process with kill -9, pause, resume and restart. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canConnect, fourLetter, sleep } from './net-util.js';
import {
  registerPid,
  registerStoppable,
  removeDir,
  unregisterPid,
  unregisterStoppable,
  type Stoppable,
} from './registry.js';
import { MAIN, startWatchdog } from './zk-process.js';
import { javaBin, zkServerAvailable } from './zk-install.js';

/** What `srvr` reports, or 'down' when the server does not answer it. */
export type ZkMode = 'leader' | 'follower' | 'standalone' | 'down';

/** One ZooKeeper server process (JVM) the harness started, on 127.0.0.1. */
export class ZkServer implements Stoppable {
  /** Always loopback. */
  readonly host = '127.0.0.1';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopped = false;

  /** Use startStandalone()/startEnsemble() instead. */
  constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly cfgPath: string,
    /** The JVM flags this server is (re)started with. */
    readonly jvmFlags: readonly string[],
    /** The TLS client port (secureClientPort), when started with `tls`; kept across restart(). */
    readonly securePort?: number,
    /** Jars appended to the classpath (the Netty jars TLS needs). */
    private readonly extraClasspath: readonly string[] = [],
  ) {
    registerStoppable(this);
  }

  /** "127.0.0.1:port" for a client of this server alone. */
  get connectString(): string {
    return `${this.host}:${this.port}`;
  }

  /** "127.0.0.1:securePort" for a TLS client of this server alone; throws if it was started without `tls`. */
  get secureConnectString(): string {
    if (this.securePort === undefined) throw new Error(`ZkServer ${this.connectString} was started without tls`);
    return `${this.host}:${this.securePort}`;
  }

  /** The JVM's pid while it runs, else undefined. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The server's log file (stdout and stderr of the JVM). */
  get logPath(): string {
    return path.join(this.dataDir, 'zk.log');
  }

  /** The last lines of the server log, for error messages. */
  logTail(lines = 30): string {
    try {
      return fs.readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  }

  /** Starts the JVM (does not wait for it to serve). */
  spawn(): void {
    if (this.stopped) throw new Error(`ZkServer ${this.connectString} was stopped`);
    if (this.child) throw new Error(`ZkServer ${this.connectString} is already running`);
    const found = zkServerAvailable();
    if (!found.ok) throw new Error(found.message);
    const fd = fs.openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      const classpath = [found.classpath, ...this.extraClasspath].join(path.delimiter);
      child = spawn(javaBin(), [...this.jvmFlags, '-cp', classpath, MAIN, this.cfgPath], {
        stdio: ['ignore', fd, fd],
      });
    } finally {
      fs.closeSync(fd);
    }
    child.on('error', () => {}); // ENOENT etc.: reported below via the missing pid
    const pid = child.pid;
    if (pid === undefined) throw new Error(`cannot start ${javaBin()}: is Java installed?`);
    child.unref(); // the exit handler kills it; a forgotten server must not hang the test process
    registerPid(pid);
    const watchdog = startWatchdog(pid, this.dataDir);
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        unregisterPid(pid);
        if (this.child === child) this.child = undefined;
        if (watchdog?.pid === undefined || watchdog.exitCode !== null || watchdog.signalCode !== null) {
          resolve();
          return;
        }
        const wpid = watchdog.pid;
        watchdog.once('exit', () => {
          unregisterPid(wpid);
          resolve();
        });
        watchdog.kill('SIGKILL');
      });
    });
  }

  /** SIGKILLs the server (also when paused); resolves once the process has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    child.kill('SIGCONT');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`ZkServer pid ${child.pid} did not exit after SIGKILL`)), 10_000);
    });
    try {
      await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGSTOPs the server: it keeps its sockets but answers nothing. */
  pause(): void {
    this.signal('SIGSTOP');
  }

  /** SIGCONTs a paused server. */
  resume(): void {
    this.signal('SIGCONT');
  }

  /** Starts the server again on the same port and data dir (killing it first if running); resolves once it serves. */
  async restart(timeoutMs = 60_000): Promise<void> {
    await this.kill();
    this.spawn();
    await this.waitServing(timeoutMs);
  }

  /** The server's mode according to `srvr`, or 'down' when it does not answer. */
  async mode(): Promise<ZkMode> {
    if (!this.child) return 'down';
    try {
      const m = /Mode: (\w+)/.exec(await fourLetter(this.host, this.port, 'srvr', 1000));
      const mode = m?.[1];
      return mode === 'leader' || mode === 'follower' || mode === 'standalone' ? mode : 'down';
    } catch {
      return 'down';
    }
  }

  /**
   * Resolves once `ruok` answers imok and `srvr` reports a mode on the plain port (and, with TLS, the secure
   * port accepts TCP connections); rejects with the log tail on timeout or exit.
   */
  async waitServing(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.child) {
        throw new Error(`ZooKeeper ${this.connectString} exited while starting; log tail:\n${this.logTail()}`);
      }
      const ok = await fourLetter(this.host, this.port, 'ruok', 1000).then((r) => r === 'imok', () => false);
      if (ok && (await this.mode()) !== 'down' && (await this.secureBound())) return;
      if (Date.now() > deadline) {
        throw new Error(
          `ZooKeeper ${this.connectString} not serving after ${timeoutMs} ms; log tail:\n${this.logTail()}`,
        );
      }
      await sleep(50);
    }
  }

  /** Kills the server and removes its data dir. */
  async stop(): Promise<void> {
    this.stopped = true;
    unregisterStoppable(this);
    await this.kill();
    removeDir(this.dataDir);
  }

  /** True once stop() was called. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** True without TLS; with it, whether the secure port accepts a TCP connection (standalone binds it last). */
  private async secureBound(): Promise<boolean> {
    return this.securePort === undefined || canConnect(this.host, this.securePort, 1000);
  }

  private signal(sig: NodeJS.Signals): void {
    if (!this.child?.pid) throw new Error(`ZkServer ${this.connectString} is not running`);
    process.kill(this.child.pid, sig);
  }
}
