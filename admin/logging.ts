import pino from 'pino';

/** The logger every Meridian component writes through: pino, JSON lines. */
export type Logger = pino.Logger;

/** Levels that `createLogger` accepts, from most to least severe. `silent` turns logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: string;
  /** Stream the JSON lines are written to. Default stdout. Tests pass their own stream to read the lines back. */
  destination?: pino.DestinationStream;
}

/** Returns true when `value` names a level that `createLogger` accepts. */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * Creates the process logger. It writes one JSON object per line with an ISO time and
 * `name: "meridian"`. Components log through a child that names them, for example
 * `logger.child({ component: 'xds' })`, and per-stream children add `nodeId` and `typeUrl`.
 * Throws when `level` is not one of LOG_LEVELS.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!isLogLevel(level)) {
    throw new Error(`invalid log level ${JSON.stringify(level)}: use one of ${LOG_LEVELS.join(', ')}`);
  }

  const settings: pino.LoggerOptions = {
    name: 'meridian',
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      // Write the level as its name ("info"), which log pipelines match without a lookup table.
      level: (label) => ({ level: label }),
    },
  };
  // pino's default destination writes to stdout synchronously, so no line is lost on exit.
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
