import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/** Runs `ip` with the arguments; throws with its output on failure. */
export function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/**
 * Returns why network namespaces cannot be made here, or undefined when they can. `tools` lists
 * further commands the test needs, such as `tc`. With `netem`, the kernel must also offer the
 * netem qdisc, which is a module that some kernels do not ship.
 */
export function netnsSkipReason(probeName: string, tools: readonly string[] = [], netem = false): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const tool of tools) {
    try {
      execFileSync(tool, ['-V'], { stdio: 'pipe' });
    } catch {
      return `the "${tool}" command is missing; install iproute2`;
    }
  }
  try {
    ip('netns', 'add', probeName);
  } catch (error) {
    return `"ip netns add" failed (${(error as Error).message.split('\n')[0]}); install iproute2 and run as root`;
  }
  try {
    if (netem) execFileSync('ip', ['netns', 'exec', probeName, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `"tc qdisc add ... netem" failed (${(error as Error).message.split('\n').find((line) => line.startsWith('Error')) ?? 'no netem'}); the kernel needs the sch_netem module`;
  } finally {
    ip('netns', 'del', probeName);
  }
}

/**
 * Network namespaces made by one test: a bridge namespace and one namespace per node, each joined
 * to the bridge by a veth pair and given its addresses on a /24. Nothing is added to the root
 * namespace.
 */
export class NamespaceLab {
  private readonly children: ChildProcess[] = [];

  /** `nodes` maps a node name (at most 12 characters) to its addresses. */
  constructor(
    private readonly prefix: string,
    private readonly nodes: Record<string, readonly string[]>,
  ) {}

  /** Namespace of a node. */
  ns(node: string): string {
    return `${this.prefix}-${node}`;
  }

  /** Interface of a node inside its namespace. */
  device(node: string): string {
    return `v-${node}`.slice(0, 15);
  }

  build(): void {
    this.remove();
    const bridge = this.ns('br');
    ip('netns', 'add', bridge);
    ip('-n', bridge, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', bridge, 'link', 'set', 'br0', 'up');
    for (const [node, addresses] of Object.entries(this.nodes)) {
      const outer = `b-${node}`.slice(0, 15);
      ip('netns', 'add', this.ns(node));
      ip('-n', this.ns(node), 'link', 'set', 'lo', 'up');
      ip('link', 'add', this.device(node), 'netns', this.ns(node), 'type', 'veth', 'peer', 'name', outer, 'netns', bridge);
      ip('-n', bridge, 'link', 'set', outer, 'master', 'br0');
      ip('-n', bridge, 'link', 'set', outer, 'up');
      for (const address of addresses) ip('-n', this.ns(node), 'addr', 'add', `${address}/24`, 'dev', this.device(node));
      ip('-n', this.ns(node), 'link', 'set', this.device(node), 'up');
    }
  }

  /** Stops the processes started in the namespaces and deletes the namespaces. */
  remove(): void {
    for (const child of this.children.splice(0)) child.kill('SIGTERM');
    for (const ns of [this.ns('br'), ...Object.keys(this.nodes).map((node) => this.ns(node))]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // Already gone, or never made.
      }
    }
  }

  /** Starts a process inside a node's namespace; `remove` stops it. */
  spawn(node: string, args: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(node), ...args], { stdio: 'ignore' });
    this.children.push(child);
    return child;
  }

  /** Delays every packet that leaves a node by `ms` milliseconds (tc netem); 0 removes the delay. */
  setDelay(node: string, ms: number): void {
    const args = ['netns', 'exec', this.ns(node), 'tc', 'qdisc'];
    if (ms === 0) {
      execFileSync('ip', [...args, 'del', 'dev', this.device(node), 'root'], { stdio: 'pipe' });
    } else {
      execFileSync('ip', [...args, 'replace', 'dev', this.device(node), 'root', 'netem', 'delay', `${ms}ms`], { stdio: 'pipe' });
    }
  }

  /** Cuts or restores the path from a node to one address with a blackhole route. */
  setPath(node: string, address: string, cut: boolean): void {
    ip('-n', this.ns(node), 'route', cut ? 'add' : 'del', 'blackhole', `${address}/32`);
  }
}
