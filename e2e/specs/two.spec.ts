/**
 * Two participants in separate browsers: both see each other, video and audio really flow through
 * the SFU (proved by getStats, not by waiting), and the camera is in the user's hand (R4).
 */
import { test } from '../fixtures';
import { twoInACall } from '../two-participants';

test('two participants see and hear each other; turning the camera off stops it', async ({ participants }) => {
  // Two browsers encoding and decoding video on a 2-core machine: more than the default minute.
  test.setTimeout(120_000);
  const [alice, bob] = await participants('Alice', 'Bob');
  await twoInACall(alice, bob);
});
