import type * as protobuf from 'protobufjs';
import { messageType, TYPE_URL } from '../xds';
import { CHANGE_MARKER_BASE_PORT } from './fleet-config';

/**
 * Facts a simulated proxy reads from one resource: the names it must subscribe to next, and the
 * marks the benchmark uses to tell which changes a proxy has received.
 */
export interface ResourceFacts {
  /** ClusterLoadAssignment names a Cluster needs, or RouteConfiguration names a Listener needs. */
  dependencies: string[];
  /** Cluster: 1 when it carries HTTP/2 upstream options (a `grpc` service), else 0. */
  http2: number;
  /** ClusterLoadAssignment: the highest change marker among its endpoints, 0 when none. */
  marker: number;
  /** RouteConfiguration: the lowest hostname generation among its virtual hosts. */
  generation: number;
}

/** Facts over a set of resources, as a simulated proxy checks them. */
export interface AggregateFacts {
  /** Names the resources depend on. Sorted and without repeats when built by `HeldResources`. */
  dependencies: string[];
  http2: number;
  marker: number;
  generation: number;
}

const HCM_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

let types: Record<string, protobuf.Type> | undefined;

function typesByUrl(): Record<string, protobuf.Type> {
  types ??= {
    [TYPE_URL.cluster]: messageType('envoy.config.cluster.v3.Cluster'),
    [TYPE_URL.clusterLoadAssignment]: messageType('envoy.config.endpoint.v3.ClusterLoadAssignment'),
    [TYPE_URL.listener]: messageType('envoy.config.listener.v3.Listener'),
    [TYPE_URL.routeConfiguration]: messageType('envoy.config.route.v3.RouteConfiguration'),
    [HCM_TYPE_URL]: messageType('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
  };
  return types;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobufjs messages are untyped */
type Decoded = any;

function routeNameOfFilter(any: Decoded): string | undefined {
  if (!any || any.type_url !== HCM_TYPE_URL) return undefined;
  const manager = typesByUrl()[HCM_TYPE_URL]!.decode(any.value) as Decoded;
  return manager.rds?.route_config_name || undefined;
}

/** Decodes one serialized resource of `typeUrl` and extracts its facts. */
export function factsOf(typeUrl: string, body: Uint8Array): ResourceFacts {
  const type = typesByUrl()[typeUrl];
  if (!type) throw new Error(`the simulated proxy does not read resources of type ${typeUrl}`);
  const message = type.decode(body) as Decoded;
  const facts: ResourceFacts = { dependencies: [], http2: 0, marker: 0, generation: 0 };

  switch (typeUrl) {
    case TYPE_URL.cluster: {
      facts.dependencies.push(message.eds_cluster_config?.service_name || message.name);
      facts.http2 = Object.keys(message.typed_extension_protocol_options ?? {}).length > 0 ? 1 : 0;
      break;
    }
    case TYPE_URL.clusterLoadAssignment: {
      for (const locality of message.endpoints ?? []) {
        for (const lbEndpoint of locality.lb_endpoints ?? []) {
          const port = lbEndpoint.endpoint?.address?.socket_address?.port_value ?? 0;
          if (port >= CHANGE_MARKER_BASE_PORT) facts.marker = Math.max(facts.marker, port - CHANGE_MARKER_BASE_PORT);
        }
      }
      break;
    }
    case TYPE_URL.listener: {
      const apiRoute = routeNameOfFilter(message.api_listener?.api_listener);
      if (apiRoute) facts.dependencies.push(apiRoute);
      for (const chain of message.filter_chains ?? []) {
        for (const filter of chain.filters ?? []) {
          const route = routeNameOfFilter(filter.typed_config);
          if (route) facts.dependencies.push(route);
        }
      }
      break;
    }
    case TYPE_URL.routeConfiguration: {
      let lowest = Number.POSITIVE_INFINITY;
      for (const host of message.virtual_hosts ?? []) {
        let generation = 0;
        for (const domain of host.domains ?? []) {
          const match = /^g(\d+)\./.exec(domain);
          if (match) generation = Math.max(generation, Number(match[1]));
        }
        lowest = Math.min(lowest, generation);
      }
      facts.generation = Number.isFinite(lowest) ? lowest : 0;
      break;
    }
  }
  return facts;
}

/**
 * Caches facts by a key that identifies the resource content (a resource version, or a response
 * version with its resource count), because thousands of simulated proxies in one process are
 * sent the same bytes and decoding them once is enough.
 */
export class FactsCache {
  private readonly entries = new Map<string, ResourceFacts>();
  /** Facts of delta resources by type, name and version, looked up without building a key string. */
  private readonly byVersion = new Map<string, Map<string, Map<string, ResourceFacts>>>();
  private versionEntries = 0;

  /** Returns the facts of a resource by its name and content version, reading `body()` only on a miss. */
  getVersion(typeUrl: string, name: string, version: string, body: () => Uint8Array): ResourceFacts {
    let byName = this.byVersion.get(typeUrl);
    if (!byName) {
      byName = new Map();
      this.byVersion.set(typeUrl, byName);
    }
    let versions = byName.get(name);
    if (!versions) {
      versions = new Map();
      byName.set(name, versions);
    }
    let facts = versions.get(version);
    if (!facts) {
      facts = factsOf(typeUrl, body());
      if (++this.versionEntries > 200_000) {
        this.byVersion.clear();
        this.versionEntries = 0;
      }
      versions.set(version, facts);
    }
    return facts;
  }

  get(key: string, typeUrl: string, body: Uint8Array): ResourceFacts {
    let facts = this.entries.get(key);
    if (!facts) {
      facts = factsOf(typeUrl, body);
      if (this.entries.size > 200_000) this.entries.clear();
      this.entries.set(key, facts);
    }
    return facts;
  }
}
