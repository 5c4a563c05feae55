import assert from 'node:assert/strict';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startMeridian, type RunningMeridian } from '../../controller';
import { makeTempFolder, memoryLogger, replaceLine, waitFor, yaml } from '../config/fixtures';
import { POLICY_LINES, SERVICES_TEXT } from '../policy/policy-documents';

const PAYMENTS_SERVICE = yaml(
  'apiVersion: meridian.io/v1alpha1',
  'kind: ServiceEndpoints',
  'metadata:',
  '  name: payments.shop',
  'spec:',
  '  port: 8080',
  '  endpoints:',
  '    - { address: 10.0.1.1, port: 80, cluster: c1, locality: { region: eu-west, zone: eu-west-1a } }',
);

const PAYMENTS_POLICY = yaml(
  'apiVersion: meridian.io/v1alpha1',
  'kind: TrafficPolicy',
  'metadata:',
  '  name: payments',
  'spec:',
  '  service: payments.shop',
  '  hostnames: [payments]',
);

let folder: string;
let meridian: RunningMeridian;
let records: Array<Record<string, unknown>>;

/** Writes a file under a temporary name and renames it into place, as editors save. */
async function replaceFile(name: string, text: string): Promise<void> {
  const temporary = join(folder, `.${name}.tmp`);
  await writeFile(temporary, text);
  await rename(temporary, join(folder, name));
}

const recordsOf = (message: string) => records.filter((record) => record.msg === message);

async function adminText(path: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${meridian.adminPort}${path}`);
  return response.text();
}

before(async () => {
  folder = await makeTempFolder();
  await writeFile(join(folder, 'services.yaml'), SERVICES_TEXT);
  await writeFile(join(folder, 'policies.yaml'), yaml(...POLICY_LINES));
  const memory = memoryLogger();
  records = memory.records;
  meridian = await startMeridian({ configPaths: [folder], xdsAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0', logger: memory.logger, debounceMs: 50 });
});

after(async () => {
  await meridian?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

test('start reload parses nothing again', () => {
  assert.deepEqual(
    recordsOf('config reloaded').map((record) => [record.files, record.filesParsed]),
    [[2, 0]],
  );
});

test('edit is loaded once for source and history', async () => {
  records.length = 0;
  const revision = meridian.registry.snapshot().revision;
  await replaceFile('services.yaml', SERVICES_TEXT.replace('10.0.0.1, port: 80', '10.0.0.1, port: 81'));
  await waitFor(() => meridian.registry.snapshot().revision > revision);
  // Leaves time for a second reload, which must not come.
  await new Promise((resolve) => setTimeout(resolve, 300));

  assert.deepEqual(
    recordsOf('config reloaded').map((record) => [record.files, record.filesParsed]),
    [[2, 1]],
    'one reload, which parses services.yaml only',
  );
  assert.equal(recordsOf('services loaded').length, 1);
  assert.equal(recordsOf('policies loaded').length, 0, 'the policies did not change');
  assert.equal(meridian.history.list().length, 1);
});

test('registry change sees the policies of its edit', async () => {
  const policiesAtRegistryChange: string[][] = [];
  const unsubscribe = meridian.registry.onChange(() => {
    policiesAtRegistryChange.push(meridian.policies.current().policies.map((policy) => policy.name));
  });
  try {
    await replaceFile('policies.yaml', `${yaml(...POLICY_LINES)}---\n${PAYMENTS_POLICY}`);
    await replaceFile('services.yaml', `${SERVICES_TEXT}---\n${PAYMENTS_SERVICE}`);
    await waitFor(() => meridian.registry.snapshot().services.has('payments.shop'));
    assert.deepEqual(policiesAtRegistryChange, [['checkout', 'payments']]);
    assert.equal(meridian.history.list().length, 2);
  } finally {
    unsubscribe();
  }
});

test('rejected edit keeps services and policies', async () => {
  const registryRevision = meridian.registry.snapshot().revision;
  const policyRevision = meridian.policies.current().revision;
  const revisions = meridian.history.list().length;
  records.length = 0;

  await replaceFile('policies.yaml', yaml(...replaceLine(POLICY_LINES, 6, '  service: checkout.shp')));
  await waitFor(() => recordsOf('configuration rejected').length > 0);

  assert.equal(meridian.registry.snapshot().revision, registryRevision);
  assert.equal(meridian.policies.current().revision, policyRevision);
  assert.equal(meridian.history.list().length, revisions);
  assert.equal(meridian.policies.lastErrors()[0].code, 'MERIDIAN_CONFIG_UNKNOWN_REFERENCE');
  const rejections = recordsOf('configuration rejected');
  assert.equal(rejections.length, 1, 'one record for the edit');
  assert.deepEqual(rejections[0]!.diagnostics, [
    `${join(folder, 'policies.yaml')}:6:12: error MERIDIAN_CONFIG_UNKNOWN_REFERENCE: spec.service: unknown service "checkout.shp"; did you mean "checkout.shop"? (known services: checkout.shop, payments.shop) (fix: name a ServiceEndpoints document in spec.service, or add a ServiceEndpoints document named "checkout.shp")`,
  ]);
  assert.equal(recordsOf('services rejected').length, 0, 'the static source leaves the record to the policy store');
  assert.equal(recordsOf('config reloaded').length, 1);
  assert.match(await adminText('/metrics'), /^meridian_config_errors 1$/m);
  const summary = JSON.parse(await adminText('/debug/config')) as { configErrors: string[] };
  assert.deepEqual(summary.configErrors, rejections[0]!.diagnostics);

  await replaceFile('policies.yaml', `${yaml(...POLICY_LINES)}---\n${PAYMENTS_POLICY}`);
  await waitFor(() => meridian.policies.lastErrors().length === 0);
  assert.equal(meridian.policies.current().revision, policyRevision);
  await waitFor(() => recordsOf('configuration accepted again; the policies in force did not change').length === 1);
  assert.match(await adminText('/metrics'), /^meridian_config_errors 0$/m);
  assert.deepEqual((JSON.parse(await adminText('/debug/config')) as { configErrors: string[] }).configErrors, []);
});

test('max delay bounds a burst of edits', async () => {
  // Edits every 40 ms never leave the 300 ms quiet period, so only the 400 ms maximum delay reloads.
  const burstFolder = await makeTempFolder();
  await writeFile(join(burstFolder, 'services.yaml'), SERVICES_TEXT);
  const memory = memoryLogger();
  const server = await startMeridian({
    configPaths: [burstFolder],
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger: memory.logger,
    debounceMs: 300,
    maxDelayMs: 400,
    stateDir: join(burstFolder, 'state'),
  });
  try {
    const reloadsBefore = memory.records.filter((record) => record.msg === 'config reloaded').length;
    const burstEnd = Date.now() + 1200;
    for (let edit = 0; Date.now() < burstEnd; edit++) {
      await writeFile(join(burstFolder, 'services.yaml'), `${SERVICES_TEXT}# edit ${edit}\n`);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    const reloadsDuringBurst = memory.records.filter((record) => record.msg === 'config reloaded').length - reloadsBefore;
    assert.ok(reloadsDuringBurst >= 2, `expected a reload at least every 400 ms during the 1.2 s burst, got ${reloadsDuringBurst}`);
  } finally {
    await server.close();
    await rm(burstFolder, { recursive: true, force: true });
  }
});
