import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Diagnostic } from '../config';
import type { Locality } from '../discovery';
import type { ClientGroup, ClientKind, ConfigurationDiff, Explanation } from '../policy';
import type { ListedRevision, Revision, RevisionFile, RevisionOutcome } from '../store';
import { AdminError, ADMIN_ERROR_CODES } from './errors';

/** The operator workflow that the policy routes expose; the process that owns the policies implements it. */
export interface PolicyWorkflow {
  /** Validates TrafficPolicy files against the services in force and compares their resources with those in force. */
  diff(files: RevisionFile[]): Promise<{ diagnostics: Diagnostic[]; diff?: ConfigurationDiff; text?: string }>;
  /** Validates TrafficPolicy files and records them as the revision in force. */
  apply(files: RevisionFile[], author: string, message: string): Promise<RevisionOutcome>;
  /** Every revision, oldest first. */
  revisions(): ListedRevision[];
  /** One revision with its files, or undefined. */
  revision(id: number): Revision | undefined;
  /** Records revision `id`'s content as a new revision; resolves undefined when no revision has that id. */
  rollback(id: number, author: string, message?: string): Promise<RevisionOutcome | undefined>;
  /** Explains a service for clients in a locality and group; undefined when the service is unknown. */
  explain(service: string, from: Locality, kind: ClientKind, group?: ClientGroup): { explanation: Explanation; text: string } | undefined;
}

/** Paths of the operator workflow, for the not-found message. */
export const POLICY_ROUTES = [
  'POST /api/v1/policies/diff',
  'POST /api/v1/policies/apply',
  'GET /api/v1/policies/revisions',
  'GET /api/v1/policies/revisions/:id',
  'POST /api/v1/policies/rollback',
  'GET /api/v1/explain',
] as const;

/** Largest request body the policy routes accept, in bytes. */
export const POLICY_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const filesSchema = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['name', 'text'],
    additionalProperties: false,
    properties: { name: { type: 'string', minLength: 1 }, text: { type: 'string' } },
  },
} as const;

const authorSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;
const messageSchema = { type: 'string', maxLength: 2000 } as const;

interface DiffBody {
  files: RevisionFile[];
}

interface ApplyBody {
  files: RevisionFile[];
  author: string;
  message: string;
}

interface RollbackBody {
  revision: number;
  author: string;
  message?: string;
}

interface ExplainQuery {
  service: string;
  from: string;
  kind?: ClientKind;
  cluster?: string;
  /** Group labels as `KEY=VALUE`, one per `label` parameter. */
  label?: string[];
}

/**
 * Adds the operator workflow to an admin server:
 *   POST /api/v1/policies/diff       {files}                      200 {diagnostics, diff, text}
 *   POST /api/v1/policies/apply      {files, author, message}     200 {revision, unchanged, diagnostics}
 *   GET  /api/v1/policies/revisions                               200 {revisions}
 *   GET  /api/v1/policies/revisions/:id                           200 the revision with its files
 *   POST /api/v1/policies/rollback   {revision, author, message?} 200 {revision, unchanged, diagnostics}
 *   GET  /api/v1/explain?service=S&from=REGION/ZONE[/SUBZONE][&kind=envoy|grpc][&cluster=C][&label=KEY=VALUE...]
 * `files` is a list of `{name, text}` with TrafficPolicy YAML. A candidate with errors gets 400
 * `{code: "ADMIN_INVALID_POLICY", message, diagnostics}` and changes nothing.
 */
export function registerPolicyRoutes(server: FastifyInstance, workflow: PolicyWorkflow): void {
  server.post<{ Body: DiffBody }>(
    '/api/v1/policies/diff',
    { bodyLimit: POLICY_BODY_LIMIT_BYTES, schema: { body: { type: 'object', required: ['files'], additionalProperties: false, properties: { files: filesSchema } } } },
    async (request, reply) => {
      const result = await workflow.diff(request.body.files);
      if (result.diff === undefined) return rejectInvalid(reply, result.diagnostics);
      return result;
    },
  );

  server.post<{ Body: ApplyBody }>(
    '/api/v1/policies/apply',
    {
      bodyLimit: POLICY_BODY_LIMIT_BYTES,
      schema: {
        body: {
          type: 'object',
          required: ['files', 'author', 'message'],
          additionalProperties: false,
          properties: { files: filesSchema, author: authorSchema, message: messageSchema },
        },
      },
    },
    async (request, reply) => {
      const { files, author, message } = request.body;
      const outcome = await workflow.apply(files, author, message);
      if (!outcome.accepted) return rejectInvalid(reply, outcome.diagnostics);
      return outcome;
    },
  );

  server.get('/api/v1/policies/revisions', async () => ({ revisions: workflow.revisions() }));

  server.get<{ Params: { id: string } }>('/api/v1/policies/revisions/:id', async (request) => {
    const id = parseRevisionId(request.params.id);
    const revision = workflow.revision(id);
    if (revision === undefined) throw revisionNotFound(id, workflow.revisions());
    return revision;
  });

  server.post<{ Body: RollbackBody }>(
    '/api/v1/policies/rollback',
    {
      schema: {
        body: {
          type: 'object',
          required: ['revision', 'author'],
          additionalProperties: false,
          properties: { revision: { type: 'integer', minimum: 1 }, author: authorSchema, message: messageSchema },
        },
      },
    },
    async (request, reply) => {
      const { revision, author, message } = request.body;
      const outcome = await workflow.rollback(revision, author, message);
      if (outcome === undefined) throw revisionNotFound(revision, workflow.revisions());
      if (!outcome.accepted) return rejectInvalid(reply, outcome.diagnostics);
      return outcome;
    },
  );

  server.get<{ Querystring: ExplainQuery }>(
    '/api/v1/explain',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['service', 'from'],
          properties: {
            service: { type: 'string', minLength: 1 },
            from: { type: 'string', minLength: 1 },
            kind: { type: 'string', enum: ['envoy', 'grpc'] },
            cluster: { type: 'string', minLength: 1 },
            label: { type: 'array', items: { type: 'string', pattern: '^[^=]+=' } },
          },
        },
      },
    },
    async (request) => {
      const from = parseLocality(request.query.from);
      const group: ClientGroup = { cluster: request.query.cluster, labels: parseLabels(request.query.label ?? []) };
      const result = workflow.explain(request.query.service, from, request.query.kind ?? 'envoy', group);
      if (result === undefined) {
        throw new AdminError(
          ADMIN_ERROR_CODES.serviceNotFound,
          404,
          `service "${request.query.service}" not found; name a ServiceEndpoints document or a hostname of a TrafficPolicy`,
        );
      }
      return result;
    },
  );
}

/** Parses `REGION/ZONE[/SUBZONE]` (or `REGION` alone) as given to `--from`. Throws a 400 AdminError. */
export function parseLocality(text: string): Locality {
  const parts = text.split('/');
  if (parts.length > 3 || parts.some((part) => part === '')) {
    throw new AdminError(
      ADMIN_ERROR_CODES.badRequest,
      400,
      `invalid locality "${text}": expected REGION, REGION/ZONE or REGION/ZONE/SUBZONE with no empty part, for example eu-west/eu-west-1a`,
    );
  }
  return { region: parts[0], zone: parts[1] ?? '', subZone: parts[2] ?? '' };
}

/** Parses `label` query values `KEY=VALUE` into group labels; the route's schema has checked their shape. */
function parseLabels(values: readonly string[]): Record<string, string> {
  return Object.fromEntries(values.map((value) => [value.slice(0, value.indexOf('=')), value.slice(value.indexOf('=') + 1)]));
}

function parseRevisionId(text: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text)) {
    throw new AdminError(ADMIN_ERROR_CODES.badRequest, 400, `invalid revision id "${text}": expected a whole number from 1, as listed by GET /api/v1/policies/revisions`);
  }
  return Number(text);
}

function revisionNotFound(id: number, revisions: readonly ListedRevision[]): AdminError {
  const known = revisions.length === 0 ? 'the history is empty' : `known revisions are ${revisions[0].id} to ${revisions[revisions.length - 1].id}`;
  return new AdminError(ADMIN_ERROR_CODES.revisionNotFound, 404, `revision ${id} not found; ${known}`);
}

function rejectInvalid(reply: FastifyReply, diagnostics: Diagnostic[]) {
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
  reply.code(400);
  return {
    code: ADMIN_ERROR_CODES.invalidPolicy,
    message: `the policies have ${errors} error(s); nothing was changed. Fix the diagnostics and send them again`,
    diagnostics,
  };
}
