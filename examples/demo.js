#!/usr/bin/env node
'use strict';
// Demo of a proxyless gRPC client on the bundled example. It starts a small gRPC server on every
// endpoint address of examples/services.yaml (each answers with its locality), then resolves
// xds:///TARGET through a running Meridian and counts which localities answer.
//
//   npm start                      # in one terminal: the control plane on the example
//   npm run demo -- --locality eu-west/eu-west-1a --target checkout --stop eu-west-1a
//
// --stop ZONE stops the servers of that zone half-way, to show failover to the next locality.

const path = require('node:path');
const fs = require('node:fs');
const { parseArgs } = require('node:util');
const grpc = require('@grpc/grpc-js');
const YAML = require('yaml');

const USAGE = `Usage: npm run demo -- [OPTIONS]

Starts a gRPC server on every endpoint address of examples/services.yaml, then calls
xds:///TARGET through a running Meridian and counts which localities answer.

Options:
  --xds HOST:PORT        Meridian's xDS address (default 127.0.0.1:18000)
  --locality R/Z[/S]     the client's locality (default eu-west/eu-west-1a)
  --target NAME          the hostname to call (default checkout)
  --calls N              calls per round, a positive integer (default 20)
  --stop ZONE            stop the servers of ZONE after the first round, then call again
  -h, --help             print this help`;

function readOptions() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        xds: { type: 'string', default: '127.0.0.1:18000' },
        locality: { type: 'string', default: 'eu-west/eu-west-1a' },
        target: { type: 'string', default: 'checkout' },
        calls: { type: 'string', default: '20' },
        stop: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`demo: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!/^[1-9][0-9]*$/.test(parsed.values.calls)) {
    console.error(`demo: invalid --calls "${parsed.values.calls}"; use a positive integer, for example --calls 20`);
    process.exit(2);
  }
  return parsed.values;
}

const values = readOptions();

const METHOD = '/meridian.demo.Echo/WhoAmI';
const identity = (bytes) => bytes;

function loadEndpoints() {
  const text = fs.readFileSync(path.join(__dirname, 'services.yaml'), 'utf8');
  const endpoints = [];
  for (const document of YAML.parseAllDocuments(text)) {
    const object = document.toJS();
    for (const endpoint of object.spec.endpoints) {
      endpoints.push({ service: object.metadata.name, ...endpoint });
    }
  }
  return endpoints;
}

async function startServer(endpoint) {
  const server = new grpc.Server();
  const label = `${endpoint.locality.region}/${endpoint.locality.zone} :${endpoint.port}`;
  server.register(METHOD, (_call, callback) => callback(null, Buffer.from(label)), identity, identity, 'unary');
  await new Promise((resolve, reject) =>
    server.bindAsync(`${endpoint.address}:${endpoint.port}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
  );
  return { endpoint, server };
}

async function tally(client, count) {
  const counts = {};
  for (let i = 0; i < count; i++) {
    const answer = await new Promise((resolve) =>
      client.makeUnaryRequest(METHOD, identity, identity, Buffer.alloc(0), { deadline: Date.now() + 2000 }, (error, response) =>
        resolve(error ? `error: ${error.details}` : response.toString()),
      ),
    );
    counts[answer] = (counts[answer] ?? 0) + 1;
  }
  return counts;
}

async function main() {
  require('@grpc/grpc-js-xds').register();
  const [region, zone = '', subZone = ''] = values.locality.split('/');
  const servers = await Promise.all(loadEndpoints().map(startServer));
  console.log(`started ${servers.length} demo servers on the example's endpoint addresses`);

  const bootstrap = {
    xds_servers: [{ server_uri: values.xds, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: `demo-client-${process.pid}`, cluster: 'demo', locality: { region, zone, sub_zone: subZone } },
  };
  const client = new grpc.Client(`xds:///${values.target}`, grpc.credentials.createInsecure(), {
    'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap),
  });

  const calls = Number(values.calls);
  console.log(`client in ${values.locality} calling xds:///${values.target} ${calls} times:`, await tally(client, calls));
  if (values.stop) {
    for (const { endpoint, server } of servers) if (endpoint.locality.zone === values.stop) server.forceShutdown();
    console.log(`stopped the servers in zone ${values.stop}`);
    await tally(client, 5); // lets the client notice the closed connections
    console.log(`client in ${values.locality} calling xds:///${values.target} ${calls} times:`, await tally(client, calls));
  }

  client.close();
  for (const { server } of servers) server.forceShutdown();
  process.exit(0);
}

main().catch((error) => {
  console.error(`demo failed: ${error.message}`);
  process.exit(1);
});
