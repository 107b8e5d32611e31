// Structured logging (pino). Quiet by default: warnings and errors only; KITE_LOG_LEVEL
// or the CLI's -v raises verbosity. Logs go to stderr so stdout stays for command output.
import { pino, type Logger } from 'pino';

export type { Logger };

let root: Logger = pino({ level: process.env.KITE_LOG_LEVEL ?? 'warn', base: undefined }, pino.destination({ dest: 2, sync: false }));

export function setLogLevel(level: string): void {
  root.level = level;
}

/** Maps -v counts to levels: 0 warn, 1 info, 2 debug, 3+ trace. */
export function levelForVerbosity(v: number): string {
  return v <= 0 ? 'warn' : v === 1 ? 'info' : v === 2 ? 'debug' : 'trace';
}

export function logger(component: string): Logger {
  return root.child({ component });
}

export function replaceRootLogger(l: Logger): void {
  root = l;
}
