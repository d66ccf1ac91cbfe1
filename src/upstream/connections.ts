/**
 * The process's keep-alive connections to the upstream, shared by all its requests: a connection
 * carries no token of its own, each call sends its caller's Authorization. Node's own HTTP client
 * (node:http, node:https): its parser copies an answer's header bytes into strings, so the socket
 * read that brought an answer is garbage once its body has been read. undici's parser keeps the
 * header values as views on that read in a list that outlives it, which held about one upstream
 * page per query past the young generation's collections (docs/design.md, "Connections to the
 * upstream").
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** An idle connection is closed after this long (sooner if the upstream's Keep-Alive header says so). */
const IDLE_MS = 10_000;

export interface Outgoing {
  method: string;
  /** The path after the origin, query string included. */
  path: string;
  headers: OutgoingHttpHeaders;
  /** Destroys the request when aborted. */
  signal?: AbortSignal | undefined;
}

interface Target {
  request: typeof httpRequest;
  agent: HttpAgent;
  hostname: string;
  port: number;
}

export class Connections {
  readonly #targets = new Map<string, Target>();
  readonly #agents: { 'http:': HttpAgent; 'https:': HttpsAgent };

  /**
   * `maxSockets`: connections to one origin at most; the fair share's capacity (UPSTREAM_MAX_IN_FLIGHT),
   * so that a call it lets go never waits again here, in a queue no limit or metric sees.
   */
  constructor(maxSockets: number) {
    const options = { keepAlive: true, maxSockets, timeout: IDLE_MS };
    this.#agents = { 'http:': new HttpAgent(options), 'https:': new HttpsAgent(options) };
  }

  /** A request to `origin` (`http(s)://host[:port]`), sent when the caller ends it. */
  request(origin: string, { method, path, headers, signal }: Outgoing): ClientRequest {
    const { request, agent, hostname, port } = this.#target(origin);
    return request({ agent, hostname, port, method, path, headers, ...(signal && { signal }) });
  }

  /** Closes every connection, idle or busy. */
  close(): void {
    this.#agents['http:'].destroy();
    this.#agents['https:'].destroy();
  }

  /** An origin parsed once: a process has one upstream, and its clients are made per request. */
  #target(origin: string): Target {
    let target = this.#targets.get(origin);
    if (!target) {
      const url = new URL(origin);
      const https = url.protocol === 'https:';
      if (!https && url.protocol !== 'http:') throw new Error(`The upstream's origin must be http or https: ${url.protocol}`);
      target = {
        request: https ? httpsRequest : httpRequest,
        agent: this.#agents[https ? 'https:' : 'http:'],
        // `[::1]` names an IPv6 host in a URL, `::1` in a connection's options.
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? (https ? 443 : 80) : Number(url.port),
      };
      this.#targets.set(origin, target);
    }
    return target;
  }
}
