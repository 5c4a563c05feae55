import { fork, type ChildProcess } from 'node:child_process';

/** A request from the benchmark to one of its child processes. */
interface CallMessage {
  kind: 'call';
  id: number;
  method: string;
  args: unknown;
}

/** A child's reply to a call: its result, or the message of the error it threw. */
interface ReplyMessage {
  kind: 'reply';
  id: number;
  result?: unknown;
  error?: string;
}

/** A one-way message to a child, which sends no reply. */
interface NotifyMessage {
  kind: 'notify';
  method: string;
  args: unknown;
}

type Handler = (args: never) => unknown;

/**
 * A child process that the benchmark calls over Node's IPC channel. The child runs
 * `serveCalls` with its handlers; each `call` resolves with the handler's result.
 */
export class ChildRpc {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private exitError?: Error;

  /** Forks `modulePath` (a compiled .js file) with `args` on its command line. */
  constructor(modulePath: string, args: string[] = [], execArgv: string[] = []) {
    this.child = fork(modulePath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    this.child.on('message', (message: ReplyMessage) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
    });
    this.child.on('exit', (code, signal) => {
      this.exitError = new Error(`benchmark child ${modulePath} exited with code ${code} and signal ${signal}`);
      for (const waiter of this.pending.values()) waiter.reject(this.exitError);
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Calls a handler of the child and resolves with its result. */
  call<T>(method: string, args: unknown = {}): Promise<T> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    const message: CallMessage = { kind: 'call', id, method, args };
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send(message);
    });
  }

  /** Sends a message that the child handles without replying. */
  notify(method: string, args: unknown = {}): void {
    if (this.exitError) return;
    const message: NotifyMessage = { kind: 'notify', method, args };
    this.child.send(message);
  }

  /** Asks the child to exit, and kills it when it has not exited after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exitError) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.notify('exit');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Serves the calls of the parent process with `handlers`, in a child started by `ChildRpc`.
 * A notification named `exit` ends the process after the `exit` handler, if any, has run.
 */
export function serveCalls(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error('this module runs as a child of the benchmark; start it with npm run bench');
  process.on('message', async (message: CallMessage | NotifyMessage) => {
    const handler = handlers[message.method];
    if (message.kind === 'notify') {
      try {
        await handler?.(message.args as never);
      } finally {
        if (message.method === 'exit') process.exit(0);
      }
      return;
    }
    const reply: ReplyMessage = { kind: 'reply', id: message.id };
    try {
      if (!handler) throw new Error(`unknown benchmark call "${message.method}"`);
      reply.result = await handler(message.args as never);
    } catch (error) {
      reply.error = (error as Error).stack ?? String(error);
    }
    process.send!(reply);
  });
  process.on('disconnect', () => process.exit(0));
}
