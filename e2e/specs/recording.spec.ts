/**
 * Recording on everyone's yes (issue 10, R5 and R6), what it leaves behind: two people say yes, talk
 * and chat, the moderator stops, watches the output job, downloads MP4, M4A, chat text and consent
 * record through the room's buttons and through the recordings page, and `ffprobe` accepts them;
 * "delete now" removes it. When one says no, nothing is captured and no recording appears.
 *
 * How consent pauses and resumes a running recording (newcomers, withdrawals) and where the
 * indicator shows is in `recording-consent.spec.ts`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Download, Request } from '@playwright/test';
import { expect, test } from '../fixtures';
import { expectDecodingVideo, expectReceivingAudio } from '../media';
import { downloadedBytes } from '../pages/chat';
import { PreJoinPage } from '../pages/prejoin';
import { OUTPUT_FILES, RecordingsListPage, type OutputFile } from '../pages/recording';
import type { Participant } from '../participant';
import { allSayYes, capturedSegments, codecs, expectCaptured, ffprobe, meetingOf, propose, recordingsOnDisk } from '../recording';
import { RECORDINGS_DIR } from '../server';

/** ffmpeg renders a few seconds of two people quickly, but the machine is shared and slow. */
const JOB_TIMEOUT_MS = 120_000;

/** Saves a download under the test's output folder by its suggested name and returns the path. */
async function saved(download: Download): Promise<string> {
  const file = test.info().outputPath(download.suggestedFilename());
  await download.saveAs(file);
  return file;
}

/**
 * Opens the moderator link in a new tab of `moderator`'s browser and follows the pre-join page's
 * link to the meeting's recordings page.
 */
async function recordingsPage(moderator: Participant, id: string, key: string): Promise<RecordingsListPage> {
  const page = await moderator.context.newPage();
  const prejoin = new PreJoinPage(page);
  await prejoin.goto(`${id}#mod=${key}`);
  await prejoin.recordingsLink.click();
  const list = new RecordingsListPage(page);
  await expect(list.root).toBeVisible();
  return list;
}

test('both say yes: the moderator watches the job and downloads MP4, M4A, chat and consent record', async ({
  participants,
  serverLog,
}) => {
  test.setTimeout(300_000);
  const t = crypto.randomBytes(4).toString('hex');
  const [alice, bob] = await participants(`Alice-Rec-${t}`, `Bob-Rec-${t}`);
  const chatLine = `Chat-Rec-${t} said while recording`;
  const { id, key } = await meetingOf(alice, [bob]);

  // Every request of the moderator's browser to the recordings API but the public "is a recording
  // running?" of the pre-join page: the key goes in a header, never in a URL.
  const apiRequests: Request[] = [];
  alice.context.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (/^\/api\/meetings\/[^/]+\/recordings(\/|$)/.test(path) && !path.endsWith('/status')) apiRequests.push(r);
  });

  await test.step('both send and receive media before the recording', async () => {
    for (const p of [alice, bob]) {
      await expectDecodingVideo(p.page, 1);
      await expectReceivingAudio(p.page, 1);
    }
  });

  await propose(alice, [alice, bob]);
  expect(capturedSegments(id), 'nothing captured before the answers').toEqual([]);
  await allSayYes([alice, bob]);

  await test.step('while it runs, both cameras and microphones and the chat line are captured', async () => {
    await expectCaptured(id, 2);
    await alice.chat.send(chatLine);
    await expect(bob.chat.message(chatLine)).toHaveCount(1);
    // Media keeps flowing to the others while it is captured.
    await expectDecodingVideo(bob.page, 1);
    await expectReceivingAudio(alice.page, 1);
  });

  const recordingId = await test.step('the moderator stops: everyone is told, the moderator watches the job', async () => {
    await alice.recording.watchJobStages();
    await alice.recording.stop.click();
    for (const p of [alice, bob]) {
      await expect(p.recording.indicator).toBeHidden();
      await expect(p.recording.event).toHaveAttribute('data-event', 'stopped');
      await expect(p.recording.event).toContainText(alice.name);
    }
    await expect(bob.recording.jobs, 'only moderators see the job').toHaveCount(0);
    const job = alice.recording.jobs;
    await expect(job).toHaveCount(1);
    await expect(job).toHaveAttribute('data-state', 'done', { timeout: JOB_TIMEOUT_MS });
    const stages = await alice.recording.jobStages();
    expect(stages, 'the job was shown at work before it was done').toContain('processing');
    expect(stages.at(-1)).toBe('done');
    expect(stages.indexOf('processing')).toBeLessThan(stages.indexOf('done'));
    return (await job.getAttribute('data-recording-id')) ?? '';
  });

  const files = await test.step('the four files download through the job\'s buttons', async () => {
    const paths = {} as Record<OutputFile, string>;
    for (const file of OUTPUT_FILES) {
      const download = await alice.recording.download(file);
      expect(download.suggestedFilename()).toBe(file);
      paths[file] = await saved(download);
    }
    return paths;
  });

  await test.step('ffprobe: H.264 and AAC in the MP4, AAC in the M4A, both seconds long', async () => {
    const mp4 = ffprobe(files['recording.mp4']);
    expect(codecs(mp4)).toEqual(['audio:aac', 'video:h264']);
    expect(mp4.format.format_name).toContain('mp4');
    expect(Number(mp4.format.duration)).toBeGreaterThan(1);
    const m4a = ffprobe(files['audio.m4a']);
    expect(codecs(m4a)).toEqual(['audio:aac']);
    expect(Number(m4a.format.duration)).toBeGreaterThan(1);
  });

  await test.step('the chat text holds the line; the consent record both yes answers', async () => {
    const chat = fs.readFileSync(files['chat.txt'], 'utf8');
    expect(chat).toContain(`${alice.name}: ${chatLine}`);
    const consent = JSON.parse(fs.readFileSync(files['consent.json'], 'utf8'));
    const yes = (consent.events as { name: string; event: string }[]).filter((e) => e.event === 'yes');
    expect(yes.map((e) => e.name).sort()).toEqual([alice.name, bob.name].sort());
    expect(consent.capture.length).toBeGreaterThanOrEqual(1);
    // The MP4 is as long as capture ran, as the record says (paused spans cut out).
    const mp4Ms = Number(ffprobe(files['recording.mp4']).format.duration) * 1000;
    expect(Math.abs(mp4Ms - consent.duration_ms)).toBeLessThan(1000);
  });

  await test.step('on disk: the finished recording, its raw tracks removed', async () => {
    const [onDisk, ...more] = recordingsOnDisk(id);
    expect(more).toEqual([]);
    expect(onDisk.id).toBe(recordingId);
    expect(onDisk.status).toBe('done');
    expect(onDisk.rawFiles).toEqual([]);
    expect(onDisk.files).toEqual(expect.arrayContaining([...OUTPUT_FILES]));
  });

  await test.step('the recordings page, reached from the moderator link, lists it; "delete now" removes it', async () => {
    const list = await recordingsPage(alice, id, key);
    const row = list.row(recordingId);
    await expect(list.rows).toHaveCount(1);
    await expect(list.duration(row)).toHaveText(/^\d+:\d\d$/);
    expect(await list.duration(row).innerText()).not.toBe('0:00');
    for (const file of OUTPUT_FILES) {
      // The label is the file's name and its size.
      await expect(list.file(row, file)).toHaveText(new RegExp(`^${file.replace('.', '\\.')} \\([\\d.,]+ (B|KB|MB)\\)$`));
    }
    const mp4 = await list.download(row, 'recording.mp4');
    expect(await downloadedBytes(mp4)).toEqual(fs.readFileSync(files['recording.mp4']));

    await list.delete(row);
    await expect(list.empty).toBeVisible();
    await expect(list.rows).toHaveCount(0);
    expect(recordingsOnDisk(id), 'the recording\'s folder is gone').toEqual([]);
  });

  await test.step('every recordings request authorised with the moderator key in a header, never in the URL', async () => {
    // The room's four downloads, the page's list, one download, the delete and the list after it.
    expect(apiRequests.map((r) => r.method()).sort()).toEqual([...Array(7).fill('GET'), 'DELETE'].sort());
    for (const r of apiRequests) {
      expect(r.url()).not.toContain(key);
      expect(await r.headerValue('authorization')).toBe(`Moderator ${key}`);
    }
  });

  // Neither names, chat nor key, nor where the recording lay (its folder, the names of its files).
  serverLog.expectNoneOf([alice.name, bob.name, chatLine, key, RECORDINGS_DIR, recordingId, ...OUTPUT_FILES, '.ivf', '.ogg']);
});

test('one says no: nothing is captured, and no recording appears after the stop', async ({ participants, serverLog }) => {
  test.setTimeout(180_000);
  const t = crypto.randomBytes(4).toString('hex');
  const [alice, bob] = await participants(`Alice-No-${t}`, `Bob-No-${t}`);
  const chatLine = `Chat-No-${t} never recorded`;
  const { id, key } = await meetingOf(alice, [bob]);
  const bobId = await bob.room.selfId();

  await propose(alice, [alice, bob]);
  await alice.recording.answer('yes');
  await bob.recording.answer('no');

  await test.step('it stays paused for both, and everyone sees Bob\'s no', async () => {
    for (const p of [alice, bob]) {
      await p.recording.expectCapturing(false);
      await p.participantsPanel.open();
      await expect(p.recording.answerOf(bobId)).toHaveAttribute('data-consent', 'no');
    }
    await expect(alice.recording.event).toContainText(bob.name);
  });

  await test.step('media and chat flow, yet nothing reaches the capture', async () => {
    await alice.chat.send(chatLine);
    await expect(bob.chat.message(chatLine)).toHaveCount(1);
    for (const p of [alice, bob]) {
      await expectDecodingVideo(p.page, 1);
      await expectReceivingAudio(p.page, 1);
    }
    expect(capturedSegments(id)).toEqual([]);
  });

  await test.step('the moderator stops: no finished recording, on disk or in the list', async () => {
    await alice.recording.stop.click();
    for (const p of [alice, bob]) await expect(p.recording.indicator).toBeHidden();
    // The moderator is told nothing was kept; nothing of it is left on disk, not even the
    // consent record with the names.
    await expect(alice.recording.jobs).toHaveCount(1);
    await expect(alice.recording.jobs).toHaveAttribute('data-state', 'discarded', { timeout: JOB_TIMEOUT_MS });
    await expect(alice.recording.jobs.getByTestId('recording-download')).toHaveCount(0);
    expect(recordingsOnDisk(id)).toEqual([]);
    const list = await recordingsPage(alice, id, key);
    await expect(list.empty).toBeVisible();
    await expect(list.rows).toHaveCount(0);
  });

  serverLog.expectNoneOf([alice.name, bob.name, chatLine, key, RECORDINGS_DIR]);
});
