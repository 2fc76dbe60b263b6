// Does Debian's WebKitGTK offer WebRTC? Prints what a page of a running Treff server sees in
// MiniBrowser driven by WebKitWebDriver (Debian's `webkit2gtk-driver`), so the answer is evidence,
// not a guess. Not part of the suite: WebKitGTK needs a display (Xvfb) and bookworm's build has no
// RTCPeerConnection, so there is no WebKit spec (see the README, "Browser tests").
//
//   apt-get install webkit2gtk-driver xvfb xauth
//   xvfb-run -a WebKitWebDriver --port=4450 &
//   node e2e/tools/webkit-check.mjs http://127.0.0.1:8080/   # a running server (cargo xtask run)
import { remote } from 'webdriverio';

const page = process.argv[2] ?? 'http://127.0.0.1:8080/';
const browser = await remote({
  hostname: '127.0.0.1',
  port: Number(process.env.WEBKIT_DRIVER_PORT ?? 4450),
  logLevel: 'warn',
  capabilities: {
    browserName: 'MiniBrowser',
    'webkitgtk:browserOptions': {
      binary: '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
      args: ['--automation'],
    },
    // WebKitWebDriver speaks classic WebDriver only.
    'wdio:enforceWebDriverClassic': true,
  },
});
try {
  await browser.url(page);
  const seen = await browser.execute(() => ({
    userAgent: navigator.userAgent,
    secureContext: window.isSecureContext,
    getUserMedia: typeof navigator.mediaDevices?.getUserMedia,
    RTCPeerConnection: typeof window.RTCPeerConnection,
  }));
  console.log(JSON.stringify({ page, ...seen }, null, 2));
  process.exitCode = seen.RTCPeerConnection === 'function' ? 0 : 1;
} finally {
  await browser.deleteSession();
}
