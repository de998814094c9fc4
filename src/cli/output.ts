/** Output helpers of `zoosync`: JSON with bigints and bytes, durations, aligned text tables, the prompt. */
import { createInterface } from 'node:readline/promises';

/** Where a command writes: `out` for results (stdout), `err` for diagnostics (stderr). */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal (redraws are allowed). */
  isTTY: boolean;
  /** Asks a question on the terminal and resolves with the answer; undefined when stdin or stderr is not a terminal. */
  ask?: (question: string) => Promise<string>;
}

async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

/** The process's own stdout and stderr. */
export const stdio: Output = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  isTTY: Boolean(process.stdout.isTTY),
  ...(process.stdin.isTTY && process.stderr.isTTY ? { ask: askOnTerminal } : {}),
};

/** One line of JSON: bigints as decimal strings (fencing tokens exceed 2^53), undefined fields dropped. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Node data for display: `{ data }` when it is UTF-8 text, else `{ dataBase64 }`; `{}` when empty. */
export function dataField(data: Buffer): { data?: string; dataBase64?: string } {
  if (data.length === 0) return {};
  try {
    return { data: utf8.decode(data) };
  } catch {
    return { dataBase64: data.toString('base64') };
  }
}

/** A duration for people: `850ms`, `12.3s`, `4m05s`, `3h12m`, `2d04h`; negative with a leading `-`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d${two(Math.floor(s / 3600) % 24)}h`;
}

/** Rows as left-aligned columns two spaces apart, the first row being the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** A session id for display: `0x` and 16 hex digits. */
export function sessionLabel(hex: string): string {
  return `0x${hex}`;
}
