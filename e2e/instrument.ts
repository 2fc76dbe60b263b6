/**
 * Test instrumentation injected into every page before the app's own scripts (`addInitScript`).
 * The app does not know about it; it only lets specs observe what the app does:
 *
 * - `window.__pcs`: every RTCPeerConnection the app creates, for `getStats()` (proof of media).
 * - `window.__gum`: every `getUserMedia` call and the tracks it returned, to check that camera and
 *   microphone are only live when the user turned them on.
 * - `window.__cspViolations`: Content-Security-Policy violations, also reported to the test runner
 *   through the `__treffReport` binding so they survive navigations.
 * - `window.__iceTransportPolicy`: set by a spec before the app runs (e.g. `"relay"`), it replaces the
 *   app's `iceTransportPolicy`: the test-only switch that forces media through the TURN relay.
 * - `window.__cutSignalling(ms)`: the network cut under the signalling socket, as a spec makes it:
 *   the open sockets break (closed with 3000, a code of trouble, not a goodbye) and every new one
 *   fails to connect for `ms`, as it would offline. Media (the peer connection) is not touched.
 *
 * `instrument` is serialised into the page, so it must not use anything from outside its body.
 */

/** Reports from the page to the test runner (exposed with `context.exposeBinding`). */
export type Report = (kind: 'csp' | 'ice-server', detail: string) => void;

declare global {
  interface Window {
    __pcs: RTCPeerConnection[];
    __gum: { calls: number; tracks: MediaStreamTrack[] };
    __cspViolations: string[];
    __treffReport?: Report;
    __cutSignalling: (ms: number) => void;
    __iceTransportPolicy?: RTCIceTransportPolicy;
  }
}

export function instrument(): void {
  const report: Report = (kind, detail) => window.__treffReport?.(kind, detail);

  window.__cspViolations = [];
  document.addEventListener(
    'securitypolicyviolation',
    (e) => {
      const detail = `${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`;
      window.__cspViolations.push(detail);
      report('csp', detail);
    },
    true,
  );

  window.__pcs = [];
  const NativePeerConnection = window.RTCPeerConnection;
  class InstrumentedPeerConnection extends NativePeerConnection {
    constructor(config?: RTCConfiguration) {
      const policy = window.__iceTransportPolicy;
      super(policy ? { ...config, iceTransportPolicy: policy } : config);
      window.__pcs.push(this);
      // Any STUN or TURN server is a third party the browser would reveal its address to (R9):
      // the SFU is ICE-lite with its own host candidate and needs none. The guard accepts only the
      // TURN server a spec itself set up for the server under test.
      const servers = config?.iceServers ?? [];
      if (servers.length > 0) report('ice-server', JSON.stringify(servers));
    }
  }
  window.RTCPeerConnection = InstrumentedPeerConnection;

  const sockets: WebSocket[] = [];
  let cutUntil = 0;
  const NativeWebSocket = window.WebSocket;
  class InstrumentedWebSocket extends NativeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      // While cut, a path the server refuses to upgrade (same origin, so no CSP report): the socket
      // fails as one does offline.
      const target = Date.now() < cutUntil ? String(url).replace(/\/ws$/, '/ws-cut') : url;
      super(target, protocols);
      sockets.push(this);
    }
  }
  window.WebSocket = InstrumentedWebSocket;
  window.__cutSignalling = (ms: number) => {
    cutUntil = Date.now() + ms;
    for (const s of sockets) if (s.readyState === NativeWebSocket.OPEN) s.close(3000, 'network cut');
  };

  window.__gum = { calls: 0, tracks: [] };
  const nativeGetUserMedia = MediaDevices.prototype.getUserMedia;
  MediaDevices.prototype.getUserMedia = async function (this: MediaDevices, constraints?: MediaStreamConstraints) {
    window.__gum.calls += 1;
    const stream = await nativeGetUserMedia.call(this, constraints);
    window.__gum.tracks.push(...stream.getTracks());
    return stream;
  };
}
