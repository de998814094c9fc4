/**
 * The command line of `zoosync`: a command, its positionals, and flags, parsed with
 * `node:util` `parseArgs` (strict), then checked per command so a flag of another command, an
 * unknown flag or a bad number is a usage error naming it.
 */
import { parseArgs } from 'node:util';

/** A usage error: exit code 2, the message says which argument is wrong. */
export class UsageError extends Error {
  /** Builds it with the message shown after `zoosync: `. */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Flags every command takes. */
const COMMON_FLAGS = ['hosts', 'namespace', 'session-timeout', 'connect-timeout', 'auth', 'tls-ca', 'tls-cert', 'tls-key', 'json', 'help'] as const;

/** The commands, how many positionals each takes, and their own flags. */
export const COMMANDS = {
  locks: { positionals: [], flags: [] },
  leaders: { positionals: [], flags: [] },
  watch: { positionals: ['id'], flags: ['leader', 'for'] },
  release: { positionals: ['id'], flags: ['leader', 'force', 'yes'] },
  doctor: { positionals: [], flags: ['max-offset'] },
} as const satisfies Record<string, { positionals: readonly string[]; flags: readonly string[] }>;

/** A command name. */
export type CommandName = keyof typeof COMMANDS;

const OPTIONS = {
  hosts: { type: 'string' },
  namespace: { type: 'string' },
  'session-timeout': { type: 'string' },
  'connect-timeout': { type: 'string' },
  auth: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  leader: { type: 'boolean' },
  for: { type: 'string' },
  force: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'max-offset': { type: 'string' },
} as const;

/** Parsed flags, by long name. */
export type Flags = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** A parsed command line. */
export interface CommandLine {
  /** Undefined with `--help` and no command. */
  command: CommandName | undefined;
  positionals: string[];
  flags: Flags;
}

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** Parses `argv` (without node and the script); throws `UsageError` naming the flag, command or argument that is wrong. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(e.message)?.[1] ?? e.message;
      throw new UsageError(`unknown flag ${flag}`);
    }
    throw new UsageError(e.message.split('\n')[0]!);
  }
  const flags: Flags = { ...parsed.values };
  const [name, ...positionals] = parsed.positionals;
  if (name === undefined) {
    if (flags.help) return { command: undefined, positionals: [], flags };
    throw new UsageError('no command given (locks, leaders, watch, release, doctor)');
  }
  if (name === 'help') return { command: undefined, positionals: [], flags: { ...flags, help: true } };
  if (!isCommand(name)) throw new UsageError(`unknown command "${name}" (locks, leaders, watch, release, doctor)`);
  const spec = COMMANDS[name];
  const allowed = new Set<string>([...COMMON_FLAGS, ...spec.flags]);
  for (const key of Object.keys(flags)) {
    if (!allowed.has(key)) throw new UsageError(`--${key} is not a flag of "${name}"`);
  }
  if (!flags.help) {
    if (positionals.length < spec.positionals.length) throw new UsageError(`"${name}" needs <${spec.positionals.join('> <')}>`);
    if (positionals.length > spec.positionals.length) throw new UsageError(`"${name}" takes ${spec.positionals.length === 0 ? 'no arguments' : `only <${spec.positionals.join('> <')}>`}, got "${positionals[spec.positionals.length]}"`);
  }
  return { command: name, positionals, flags };
}

/** The value of a millisecond flag as a positive integer, undefined when absent; throws `UsageError` naming the flag. */
export function msFlag(flags: Flags, name: 'session-timeout' | 'connect-timeout' | 'for' | 'max-offset'): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) <= 0 || Number(raw) > 2 ** 31 - 1) {
    throw new UsageError(`--${name} must be a positive whole number of milliseconds, got "${raw}"`);
  }
  return Number(raw);
}
