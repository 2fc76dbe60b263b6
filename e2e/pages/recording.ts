/**
 * Page objects of recording (issue 10): in the room, the moderator's "propose", the consent
 * question, the recording bar (indicator, own answer, withdraw/agree, stop, the last announcement),
 * each person's answer in the participants panel and, for moderators, the output jobs with their
 * download buttons; outside it, the recordings page (`/m/<id>/recordings#mod=<key>`).
 */
import { expect, type Download, type Locator, type Page } from '@playwright/test';

/** A recording's output files, as the download buttons and the API name them. */
export const OUTPUT_FILES = ['recording.mp4', 'audio.m4a', 'chat.txt', 'consent.json'] as const;
export type OutputFile = (typeof OUTPUT_FILES)[number];

/** Where an output job stands (`data-state` of its row). */
export type JobStage = 'queued' | 'processing' | 'done' | 'failed';

export class RecordingPage {
  /** In the moderator menu. */
  readonly propose: Locator;
  readonly dialog: Locator;
  readonly yes: Locator;
  readonly no: Locator;
  readonly later: Locator;
  /** The recording bar: present while a recording exists, `data-capturing` says whether it runs. */
  readonly indicator: Locator;
  readonly status: Locator;
  /** The own answer (`data-consent`: yes, no, none). */
  readonly myAnswer: Locator;
  readonly withdraw: Locator;
  readonly agree: Locator;
  readonly stop: Locator;
  /** The last announcement about the recording, with the name of whom it concerns. */
  readonly event: Locator;
  readonly jobs: Locator;

  constructor(readonly page: Page) {
    this.propose = page.getByTestId('recording-propose');
    this.dialog = page.getByTestId('consent-dialog');
    this.yes = page.getByTestId('consent-yes');
    this.no = page.getByTestId('consent-no');
    this.later = page.getByTestId('consent-later');
    this.indicator = page.getByTestId('recording-indicator');
    this.status = page.getByTestId('recording-status');
    this.myAnswer = page.getByTestId('recording-my-answer');
    this.withdraw = page.getByTestId('recording-withdraw');
    this.agree = page.getByTestId('recording-agree');
    this.stop = page.getByTestId('recording-stop');
    this.event = page.getByTestId('recording-event');
    this.jobs = page.getByTestId('recording-job');
  }

  /** The participants-panel badge with participant `id`'s answer (`data-consent`: yes, no, none). */
  answerOf(id: string): Locator {
    return this.page.locator(`[data-testid="participant-row"][data-participant-id="${id}"]`).getByTestId('participant-consent');
  }

  /** The consent question is open; answers it. */
  async answer(consent: 'yes' | 'no'): Promise<void> {
    await expect(this.dialog).toBeVisible();
    await (consent === 'yes' ? this.yes : this.no).click();
    await expect(this.dialog).toBeHidden();
    await expect(this.myAnswer).toHaveAttribute('data-consent', consent);
  }

  /** Waits until the indicator shows the recording running (`true`) or paused. */
  async expectCapturing(capturing: boolean): Promise<void> {
    await expect(this.indicator).toBeVisible();
    await expect(this.indicator).toHaveAttribute('data-capturing', String(capturing));
  }

  /** The indicator is shown and lies within the window (not pushed out of view by the layout). */
  async expectIndicatorInView(): Promise<void> {
    await expect(this.indicator).toBeVisible();
    await expect(this.indicator).toBeInViewport();
  }

  /**
   * Starts noting every stage the output jobs pass through, as the page renders them, so a test can
   * check afterwards that the moderator saw the job at work and not only its end.
   */
  async watchJobStages(): Promise<void> {
    await this.page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __jobStages: string[] }).__jobStages = seen;
      const note = (): void => {
        for (const job of document.querySelectorAll('[data-testid="recording-job"]')) {
          const stage = job.getAttribute('data-state') ?? '';
          if (seen.at(-1) !== stage) seen.push(stage);
        }
      };
      new MutationObserver(note).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-state'],
      });
    });
  }

  /** The stages noted since {@link watchJobStages}, in order, repeats folded. */
  async jobStages(): Promise<JobStage[]> {
    return this.page.evaluate(() => (window as unknown as { __jobStages: JobStage[] }).__jobStages);
  }

  /** The download button of output file `file` in the (single) finished job. */
  downloadButton(file: OutputFile): Locator {
    return this.jobs.getByTestId('recording-download').and(this.page.locator(`[data-file="${file}"]`));
  }

  /** Downloads output file `file` through the job's button. */
  async download(file: OutputFile): Promise<Download> {
    return downloadBy(this.page, this.downloadButton(file));
  }
}

/** The recordings page of a meeting, opened with its moderator key. */
export class RecordingsListPage {
  readonly root: Locator;
  readonly rows: Locator;
  readonly empty: Locator;
  readonly confirm: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId('recordings-page');
    this.rows = page.getByTestId('recording-row');
    this.empty = page.getByTestId('recordings-empty');
    this.confirm = page.getByTestId('confirm');
  }

  /** The row of recording `id`. */
  row(id: string): Locator {
    return this.rows.and(this.page.locator(`[data-recording-id="${id}"]`));
  }

  duration(row: Locator): Locator {
    return row.getByTestId('recording-duration');
  }

  /** The download button of `file` in `row`; its label is the file's name and size. */
  file(row: Locator, file: OutputFile): Locator {
    return row.getByTestId('recording-file').and(this.page.locator(`[data-file="${file}"]`));
  }

  async download(row: Locator, file: OutputFile): Promise<Download> {
    return downloadBy(this.page, this.file(row, file));
  }

  /** "Delete now" on `row`, confirmed. */
  async delete(row: Locator): Promise<void> {
    await row.getByTestId('recording-delete').click();
    await this.confirm.click();
  }
}

/** Clicks `button` and returns the download it starts. */
async function downloadBy(page: Page, button: Locator): Promise<Download> {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return download;
}
