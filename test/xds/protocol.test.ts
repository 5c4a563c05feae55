import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import {
  buildSnapshot,
  encodeResource,
  SnapshotCache,
  TYPE_URL,
  XdsServer,
  type EncodedResource,
  type NackDetail,
  type StreamInfo,
  type TypeUrl,
  type XdsServerHooks,
} from '../../xds';
import { XdsDriver, type Variant } from '../helpers/xds-driver';

const NODE = { id: 'sidecar-1', cluster: 'shop', locality: { region: 'eu-west', zone: 'eu-west-1a' } };
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

interface MeshSpec {
  /** Cluster names, with an optional connect timeout in seconds to make a cluster change. */
  clusters: Record<string, number | undefined>;
  /** Port of every endpoint, to make an endpoint change. */
  endpointPort?: number;
  /** Clusters that route `8080` sends traffic to. */
  routeTo?: string[];
}

/** Builds a snapshot: clusters with one assignment each, listener `outbound-8080` and route `8080`. */
function meshSnapshot(spec: MeshSpec) {
  const names = Object.keys(spec.clusters);
  const clusters = names.map((name) =>
    encodeResource(TYPE_URL.cluster, name, {
      name,
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {} }, service_name: name },
      connect_timeout: { seconds: spec.clusters[name] ?? 1 },
    }),
  );
  const assignments = names.map((name) =>
    encodeResource(TYPE_URL.clusterLoadAssignment, name, {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: spec.endpointPort ?? 8080 } } } }] }],
    }),
  );
  const listener = encodeResource(TYPE_URL.listener, 'outbound-8080', {
    name: 'outbound-8080',
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': HCM, stat_prefix: 'out', rds: { route_config_name: '8080', config_source: { ads: {} } } } }] }],
  });
  const routeTo = spec.routeTo ?? names;
  const route = encodeResource(TYPE_URL.routeConfiguration, '8080', {
    name: '8080',
    virtual_hosts: [{ name: 'all', domains: ['*'], routes: routeTo.map((cluster) => ({ match: { prefix: `/${cluster}` }, route: { cluster } })) }],
  });
  return buildSnapshot(
    new Map<TypeUrl, EncodedResource[]>([
      [TYPE_URL.cluster, clusters],
      [TYPE_URL.clusterLoadAssignment, assignments],
      [TYPE_URL.listener, [listener]],
      [TYPE_URL.routeConfiguration, [route]],
    ]),
    'test',
  );
}

const BASE: MeshSpec = { clusters: { checkout: undefined, catalog: undefined } };

/** Records every ACK and NACK, for assertions on what the server made of them. */
class RecordingHooks implements XdsServerHooks {
  acks: { typeUrl: string; version: string }[] = [];
  nacks: { typeUrl: string; version: string; message: string; detail?: NackDetail }[] = [];
  onAck(_stream: StreamInfo, typeUrl: string, version: string): void {
    this.acks.push({ typeUrl, version });
  }
  onNack(_stream: StreamInfo, typeUrl: string, version: string, message: string, detail?: NackDetail): void {
    this.nacks.push({ typeUrl, version, message, detail });
  }
}

interface CaseContext {
  variant: Variant;
  open(service?: string): XdsDriver;
  publish(spec: MeshSpec): void;
  clear(): void;
  hooks: RecordingHooks;
}

const names = (record: Record<string, string>): string[] => Object.keys(record).sort();

/** Protocol cases that run unchanged on a state-of-the-world and on a delta stream. */
const CASES: { name: string; run: (context: CaseContext) => Promise<void> }[] = [
  {
    name: 'ack triggers no response',
    async run({ open, hooks }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.cluster)), ['catalog', 'checkout']);
      assert.deepEqual(await client.collectFor(150), []);
      assert.equal(hooks.acks.length, 1);
      assert.deepEqual(hooks.nacks, []);
    },
  },
  {
    name: 'nack holds only the rejected resource',
    async run({ open, publish, hooks }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      await client.settle();
      const before = client.holds(TYPE_URL.cluster);

      publish({ clusters: { checkout: undefined, catalog: 5, payments: undefined } });
      const rejected = await client.next();
      client.nack(rejected, 'cluster payments: unsupported lb_policy');
      const rest = await client.settle();
      assert.equal(rest.length, 1, 'the rest of the change goes out once');
      assert.deepEqual(names(client.holds(TYPE_URL.cluster)), ['catalog', 'checkout'], 'payments is held back');
      assert.notEqual(client.holds(TYPE_URL.cluster).catalog, before.catalog, 'the catalog change is not held back');
      assert.deepEqual(await client.collectFor(150), [], 'the rejected version is not sent again');

      assert.equal(hooks.nacks.length, 1);
      assert.equal(hooks.nacks[0]!.detail?.traced, true);
      assert.deepEqual(hooks.nacks[0]!.detail?.rejected.map((resource) => resource.name), ['payments']);

      publish({ clusters: { checkout: undefined, catalog: 5, payments: 7 } });
      await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.cluster)), ['catalog', 'checkout', 'payments'], 'the fixed version is sent');
    },
  },
  {
    name: 'nack with newer version pending',
    async run({ open, publish, hooks }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      await client.settle();
      publish({ clusters: { checkout: undefined, catalog: undefined, payments: undefined } });
      const rejected = await client.next();
      publish({ clusters: { checkout: undefined, catalog: undefined, payments: 9 } });
      client.nack(rejected, 'invalid configuration');
      await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.cluster)), ['catalog', 'checkout', 'payments']);
      assert.equal(hooks.nacks[0]!.detail?.traced, false);
    },
  },
  {
    name: 'nack without newer version sends nothing',
    async run({ open, publish }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      await client.settle();
      const before = client.holds(TYPE_URL.cluster);
      publish({ clusters: { checkout: 3, catalog: undefined } });
      client.nack(await client.next(), 'invalid configuration');
      assert.deepEqual(await client.collectFor(200), []);
      assert.deepEqual(client.holds(TYPE_URL.cluster), before);
    },
  },
  {
    name: 'nack of a removal',
    async run({ open, publish, hooks }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      await client.settle();
      const before = client.holds(TYPE_URL.cluster);

      publish({ clusters: { checkout: undefined }, routeTo: ['checkout'] });
      client.nack(await client.next(), 'cannot remove catalog');
      assert.deepEqual(await client.collectFor(200), [], 'the rejected removal is not sent again');
      assert.deepEqual(client.holds(TYPE_URL.cluster), before);
      assert.equal(hooks.nacks.length, 1);

      publish({ clusters: { checkout: 2 }, routeTo: ['checkout'] });
      await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.cluster)), ['checkout'], 'the next change removes it');
    },
  },
  {
    name: 'stale nonce changes nothing',
    async run({ open, publish, hooks }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      const first = await client.next();
      client.ack(first);
      publish({ clusters: { checkout: undefined } , routeTo: ['checkout'] });
      const second = await client.next();
      client.sendReply(TYPE_URL.cluster, first.nonce, 'late');
      assert.deepEqual(await client.collectFor(150), []);
      assert.deepEqual(hooks.nacks, []);
      client.ack(second);
      await client.collectFor(50);
      assert.equal(hooks.acks.length, 2);
    },
  },
  {
    name: 'nonce from an earlier stream',
    async run({ open, hooks }) {
      const earlier = open();
      earlier.subscribe(TYPE_URL.cluster);
      const old = await earlier.next();
      earlier.close();

      const client = open();
      client.subscribe(TYPE_URL.cluster, undefined, { nonce: old.nonce });
      const response = await client.next();
      assert.notEqual(response.nonce, old.nonce, 'nonces differ across streams');
      client.sendReply(TYPE_URL.cluster, old.nonce, 'replayed');
      assert.deepEqual(await client.collectFor(150), []);
      assert.deepEqual(hooks.nacks, [], 'a replayed nonce is not a NACK of this stream');
    },
  },
  {
    name: 'subscription follows names',
    async run({ open }) {
      const client = open();
      client.subscribe(TYPE_URL.clusterLoadAssignment, ['checkout']);
      await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.clusterLoadAssignment)), ['checkout']);
      client.setNames(TYPE_URL.clusterLoadAssignment, ['checkout', 'catalog']);
      await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.clusterLoadAssignment)), ['catalog', 'checkout']);
      client.setNames(TYPE_URL.clusterLoadAssignment, ['catalog']);
      await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.clusterLoadAssignment)), ['catalog']);
    },
  },
  {
    name: 'unknown name sent once it appears',
    async run({ open, publish, variant }) {
      const client = open();
      client.subscribe(TYPE_URL.clusterLoadAssignment, ['checkout', 'payments']);
      const [first] = await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.clusterLoadAssignment)), ['checkout']);
      if (variant === 'delta') assert.deepEqual(first!.removed, ['payments'], 'delta reports the absent name as removed');

      publish({ clusters: { checkout: undefined, catalog: undefined, payments: undefined } });
      await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.clusterLoadAssignment)), ['checkout', 'payments']);
    },
  },
  {
    name: 'wildcard and explicit subscriptions',
    async run({ open }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      client.subscribe(TYPE_URL.clusterLoadAssignment, ['catalog']);
      await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.cluster)), ['catalog', 'checkout']);
      assert.deepEqual(names(client.holds(TYPE_URL.clusterLoadAssignment)), ['catalog']);
    },
  },
  {
    name: 'removal waits for referring route',
    async run({ open, publish }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      client.subscribe(TYPE_URL.clusterLoadAssignment, ['checkout', 'catalog']);
      client.subscribe(TYPE_URL.listener);
      client.subscribe(TYPE_URL.routeConfiguration, ['8080']);
      await client.settle();

      // settle() checks after every response that each cluster a held route names is held.
      publish({ clusters: { checkout: undefined }, routeTo: ['checkout'] });
      const responses = await client.settle();
      const order = responses.map((response) => response.typeUrl);
      assert.ok(order.indexOf(TYPE_URL.routeConfiguration) < order.lastIndexOf(TYPE_URL.cluster), `route before cluster removal: ${order.join(', ')}`);
      assert.deepEqual(names(client.holds(TYPE_URL.cluster)), ['checkout']);
    },
  },
  {
    name: 'added cluster precedes its route',
    async run({ open, publish }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      client.subscribe(TYPE_URL.routeConfiguration, ['8080']);
      await client.settle();
      publish({ clusters: { checkout: undefined, catalog: undefined, payments: undefined } });
      const order = (await client.settle()).map((response) => response.typeUrl);
      assert.deepEqual(order, [TYPE_URL.cluster, TYPE_URL.routeConfiguration]);
    },
  },
  {
    name: 'route waits for unacked cluster',
    async run({ open, publish }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      client.subscribe(TYPE_URL.routeConfiguration, ['8080']);
      await client.settle();

      // The cluster response stays unacknowledged while a route to a new cluster is published.
      publish({ clusters: { checkout: undefined, catalog: 5 } });
      const pending = await client.next();
      assert.equal(pending.typeUrl, TYPE_URL.cluster);
      publish({ clusters: { checkout: undefined, catalog: 5, payments: undefined } });
      assert.deepEqual(await client.collectFor(150), [], 'the route waits while the cluster response is unacknowledged');

      client.ack(pending);
      const order = (await client.settle()).map((response) => response.typeUrl);
      assert.deepEqual(order, [TYPE_URL.cluster, TYPE_URL.routeConfiguration]);
      assert.deepEqual(names(client.holds(TYPE_URL.cluster)), ['catalog', 'checkout', 'payments']);
    },
  },
  {
    name: 'cluster change resends its assignment',
    async run({ open, publish }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      client.subscribe(TYPE_URL.clusterLoadAssignment, ['checkout', 'catalog']);
      await client.settle();
      const assignments = client.holds(TYPE_URL.clusterLoadAssignment);

      publish({ clusters: { checkout: 4, catalog: undefined } });
      const responses = await client.settle();
      assert.deepEqual(responses.map((response) => response.typeUrl), [TYPE_URL.cluster, TYPE_URL.clusterLoadAssignment]);
      assert.ok(responses[1]!.resources.some((resource) => resource.name === 'checkout'));
      assert.deepEqual(client.holds(TYPE_URL.clusterLoadAssignment), assignments, 'the endpoints themselves did not change');
    },
  },
  {
    name: 'reconnect after deletion',
    async run({ open, publish, variant }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      await client.settle();
      publish({ clusters: { checkout: undefined }, routeTo: ['checkout'] });
      client.reconnect();
      const responses = await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.cluster)), ['checkout']);
      if (variant === 'delta') {
        assert.deepEqual(responses[0]!.resources, [], 'an unchanged resource is not sent again');
        assert.deepEqual(responses[0]!.removed, ['catalog']);
      }
    },
  },
  {
    name: 'reconnect with current versions',
    async run({ open }) {
      const client = open();
      client.subscribe(TYPE_URL.cluster);
      client.subscribe(TYPE_URL.clusterLoadAssignment, ['checkout']);
      await client.settle();
      client.reconnect();
      assert.deepEqual(await client.collectFor(200), []);
    },
  },
  {
    name: 'reconnect with more names',
    async run({ open }) {
      // The client held checkout. Its new stream requests catalog too, with the version it held.
      const client = open();
      client.subscribe(TYPE_URL.clusterLoadAssignment, ['checkout']);
      await client.settle();
      client.reconnect({ [TYPE_URL.clusterLoadAssignment]: ['checkout', 'catalog'] });
      const responses = await client.settle();
      assert.equal(responses.length, 1, 'the added name is sent');
      assert.deepEqual(names(client.holds(TYPE_URL.clusterLoadAssignment)), ['catalog', 'checkout']);
    },
  },
  {
    name: 'unserved type is left unanswered',
    async run({ open }) {
      const client = open();
      client.raw({ node: NODE, type_url: SECRET_TYPE_URL });
      client.subscribe(TYPE_URL.cluster);
      const responses = await client.settle();
      assert.deepEqual(responses.map((response) => response.typeUrl), [TYPE_URL.cluster], 'the stream stays open for served types');
      assert.deepEqual(names(client.holds(TYPE_URL.cluster)), ['catalog', 'checkout']);
    },
  },
  {
    name: 'per-type services serve each type',
    async run({ open }) {
      const endpoints = open('endpoints');
      endpoints.subscribe(TYPE_URL.clusterLoadAssignment, ['checkout']);
      const listeners = open('listeners');
      listeners.subscribe(TYPE_URL.listener);
      const routes = open('routes');
      routes.subscribe(TYPE_URL.routeConfiguration, ['8080']);
      await Promise.all([endpoints.settle(), listeners.settle(), routes.settle()]);
      assert.deepEqual(names(endpoints.holds(TYPE_URL.clusterLoadAssignment)), ['checkout']);
      assert.deepEqual(names(listeners.holds(TYPE_URL.listener)), ['outbound-8080']);
      assert.deepEqual(names(routes.holds(TYPE_URL.routeConfiguration)), ['8080']);
    },
  },
  {
    name: 'waits for a snapshot',
    async run({ open, publish, clear }) {
      clear();
      const client = open();
      client.subscribe(TYPE_URL.clusterLoadAssignment, ['checkout']);
      assert.deepEqual(await client.collectFor(150), [], 'no empty response before the configuration exists');
      publish(BASE);
      await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.clusterLoadAssignment)), ['checkout']);
    },
  },
  {
    name: 'per-type service',
    async run({ open }) {
      const client = open('clusters');
      client.subscribe(TYPE_URL.cluster);
      await client.settle();
      assert.deepEqual(names(client.holds(TYPE_URL.cluster)), ['catalog', 'checkout']);
    },
  },
  {
    name: 'first request without node',
    async run({ open }) {
      const client = open();
      client.raw({ type_url: TYPE_URL.cluster });
      const status = await client.ended();
      assert.equal(status.code, 3);
      assert.match(status.details, /must carry node/);
    },
  },
  {
    name: 'ads request without type_url',
    async run({ open }) {
      const client = open();
      client.raw({ node: NODE });
      const status = await client.ended();
      assert.equal(status.code, 3);
      assert.match(status.details, /type_url is missing/);
    },
  },
];

for (const variant of ['sotw', 'delta'] as const) {
  describe(`${variant} protocol`, () => {
    let cache: SnapshotCache;
    let server: XdsServer;
    let address: string;
    const hooks = new RecordingHooks();
    const clients: XdsDriver[] = [];

    before(async () => {
      cache = new SnapshotCache(() => 'all');
      server = new XdsServer({ cache, logger: pino({ level: 'silent' }), hooks: [hooks], admission: { ratePerSecond: 0, burst: 1 } });
      address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
    });

    after(async () => {
      for (const client of clients) client.close();
      await server.close(100);
    });

    beforeEach(() => {
      for (const client of clients.splice(0)) client.close();
      cache.setSnapshot('all', meshSnapshot(BASE));
      hooks.acks = [];
      hooks.nacks = [];
    });

    const context: CaseContext = {
      variant,
      hooks,
      open: (service) => {
        const client = new XdsDriver(variant, address, NODE, service);
        clients.push(client);
        return client;
      },
      publish: (spec) => cache.setSnapshot('all', meshSnapshot(spec)),
      clear: () => cache.clearSnapshot('all'),
    };

    for (const protocolCase of CASES) test(protocolCase.name, () => protocolCase.run(context));
  });
}
