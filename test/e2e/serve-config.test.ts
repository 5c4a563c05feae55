import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import { messageNameOf, messageType, TYPE_URL, validateMessage } from '../../xds';
import { RawXdsStream, type DiscoveryResponse } from '../helpers/ads-client';
import { eventually } from '../helpers/backends';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');
const SIDECAR = { id: 'sidecar-eu-west-1a', cluster: 'shop', locality: { region: 'eu-west', zone: 'eu-west-1a' } };

type Assignment = {
  cluster_name: string;
  endpoints: { priority?: number; locality: { region?: string; zone?: string }; lb_endpoints: { endpoint: { address: { socket_address: { port_value: number } } } }[] }[];
};

function decode<T>(response: DiscoveryResponse): T[] {
  const type = messageType(messageNameOf(response.type_url));
  return response.resources.map((resource) => type.toObject(type.decode(resource.value), { defaults: false, enums: String }) as T);
}

/** Sends the ACK of a response on a raw stream, as Envoy does. */
function ack(stream: RawXdsStream, response: DiscoveryResponse, names: string[] = []): void {
  stream.send({ type_url: response.type_url, version_info: response.version_info, response_nonce: response.nonce, resource_names: names });
}

let folder: string;
let meridian: RunningMeridian;
const logLines: string[] = [];

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'meridian-serve-'));
  await cp(EXAMPLES, folder, { recursive: true });
  const logger = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });
  meridian = await startMeridian({ configPaths: [folder], xdsAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0', logger, debounceMs: 20 });
});

after(async () => {
  await meridian?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

test('sidecar gets valid resources for the example', async () => {
  const stream = new RawXdsStream(`127.0.0.1:${meridian.xdsPort}`);
  try {
    const responses = new Map<string, DiscoveryResponse>();
    for (const typeUrl of [TYPE_URL.cluster, TYPE_URL.listener]) {
      stream.send({ node: SIDECAR, type_url: typeUrl });
      responses.set(typeUrl, await stream.next());
    }
    const clusters = decode<{ name: string }>(responses.get(TYPE_URL.cluster)!);
    const listeners = decode<{ name: string }>(responses.get(TYPE_URL.listener)!);
    assert.deepEqual(clusters.map((cluster) => cluster.name).sort(), ['catalog.shop', 'checkout.shop', 'inventory.shop', 'payments.shop']);
    assert.ok(listeners.length > 0, 'the sidecar gets outbound listeners');

    stream.send({ type_url: TYPE_URL.clusterLoadAssignment, resource_names: ['checkout.shop'] });
    const endpoints = await stream.next();
    const [assignment] = decode<Assignment>(endpoints);
    // The sidecar runs in eu-west-1a: its own zone first, then eu-west-1b, then central, then edge-tokyo.
    const order = assignment!.endpoints
      .slice()
      .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0))
      .map((group) => `${group.priority ?? 0}:${group.locality.zone}`);
    assert.deepEqual(order, ['0:eu-west-1a', '1:eu-west-1b', '2:central-a', '2:central-b', '3:edge-tokyo-1']);

    for (const response of [...responses.values(), endpoints]) {
      const type = messageType(messageNameOf(response.type_url));
      for (const resource of response.resources) {
        const object = type.toObject(type.decode(resource.value), { enums: String, longs: Number, bytes: String });
        assert.deepEqual(validateMessage(messageNameOf(response.type_url), object), [], `${response.type_url} passes Envoy's validation rules`);
      }
    }
  } finally {
    stream.close();
  }
});

test('file edit reaches a connected proxy', async () => {
  const stream = new RawXdsStream(`127.0.0.1:${meridian.xdsPort}`);
  try {
    stream.send({ node: SIDECAR, type_url: TYPE_URL.clusterLoadAssignment, resource_names: ['checkout.shop'] });
    const first = await stream.next();
    ack(stream, first, ['checkout.shop']);

    const servicesFile = join(folder, 'services.yaml');
    const original = await readFile(servicesFile, 'utf8');
    await writeFile(servicesFile, original.replace('port: 50053', 'port: 50063'));

    const second = await stream.next(5000);
    assert.notEqual(second.version_info, first.version_info);
    const ports = decode<Assignment>(second)[0]!.endpoints.flatMap((group) =>
      group.lb_endpoints.map((lbEndpoint) => lbEndpoint.endpoint.address.socket_address.port_value),
    );
    assert.ok(ports.includes(50063), 'the edited endpoint is served');
    assert.ok(!ports.includes(50053), 'the old endpoint is gone');
    ack(stream, second, ['checkout.shop']);
    await writeFile(servicesFile, original);
    await stream.next(5000);
  } finally {
    stream.close();
  }
});

test('invalid edit is rejected and the running configuration stays', async () => {
  const stream = new RawXdsStream(`127.0.0.1:${meridian.xdsPort}`);
  const policiesFile = join(folder, 'policies.yaml');
  const original = await readFile(policiesFile, 'utf8');
  try {
    stream.send({ node: SIDECAR, type_url: TYPE_URL.cluster });
    const first = await stream.next();
    ack(stream, first);
    const revision = meridian.policies.current().revision;

    logLines.length = 0;
    await writeFile(policiesFile, original.replace('service: checkout.shop', 'service: chekout.shop'));
    await eventually(() => logLines.some((line) => line.includes('configuration rejected')), 5000);

    const rejection = logLines.find((line) => line.includes('configuration rejected'))!;
    assert.match(rejection, /policies\.yaml:\d+:\d+/, 'the log names the file, line and column');
    assert.match(rejection, /did you mean \\"checkout\.shop\\"/);
    assert.equal(meridian.policies.current().revision, revision, 'the policy set in force is unchanged');
    assert.deepEqual(await stream.collectFor(300), [], 'proxies are sent nothing');
  } finally {
    await writeFile(policiesFile, original);
    stream.close();
  }
});
