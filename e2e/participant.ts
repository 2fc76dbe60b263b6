/**
 * A participant: one browser context (its own storage, its own fake camera and microphone, as if it
 * were a separate browser) with one page and the page objects on it.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { ChatPanel } from './pages/chat';
import { HomePage } from './pages/home';
import { LeftPage } from './pages/left';
import { ModerationPage } from './pages/moderation';
import { ParticipantsPanel } from './pages/participants';
import { PreJoinPage } from './pages/prejoin';
import { RecordingPage } from './pages/recording';
import { RoomPage } from './pages/room';
import { StagePage } from './pages/stage';

export type JoinOptions = { mic?: boolean; cam?: boolean; rememberName?: boolean };

export class Participant {
  readonly home: HomePage;
  readonly prejoin: PreJoinPage;
  readonly room: RoomPage;
  readonly stage: StagePage;
  readonly chat: ChatPanel;
  readonly participantsPanel: ParticipantsPanel;
  readonly left: LeftPage;
  readonly moderation: ModerationPage;
  readonly recording: RecordingPage;

  constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    this.home = new HomePage(page);
    this.prejoin = new PreJoinPage(page);
    this.room = new RoomPage(page);
    this.stage = new StagePage(page);
    this.chat = new ChatPanel(page);
    this.participantsPanel = new ParticipantsPanel(page);
    this.left = new LeftPage(page);
    this.moderation = new ModerationPage(page);
    this.recording = new RecordingPage(page);
  }

  /** Starts a new meeting from the home page and returns its id (stays on the pre-join page). */
  async newMeeting(): Promise<string> {
    await this.home.goto();
    return this.home.newMeeting();
  }

  /**
   * Starts a new meeting from the home page and joins it through the moderator link the app landed
   * on: this participant is its moderator. Returns the meeting id and the moderator key.
   */
  async host(options: JoinOptions = {}): Promise<{ id: string; key: string }> {
    await this.home.goto();
    const meeting = await this.home.newModeratedMeeting();
    await this.prejoin.setName(this.name);
    await this.prejoin.setMic(options.mic ?? false);
    await this.prejoin.setCam(options.cam ?? false);
    await this.prejoin.joinButton.click();
    await this.room.expectJoined();
    return meeting;
  }

  /** Opens the meeting link and fills in the pre-join page, up to (not including) the join click. */
  async prepare(meetingId: string, { mic = false, cam = false, rememberName = false }: JoinOptions = {}): Promise<void> {
    await this.prejoin.goto(meetingId);
    await this.prejoin.setName(this.name);
    if (rememberName) await this.prejoin.rememberName.check();
    await this.prejoin.setMic(mic);
    await this.prejoin.setCam(cam);
  }

  /** Opens the meeting link, fills in the pre-join page, joins and waits for the own tile. */
  async join(meetingId: string, options: JoinOptions = {}): Promise<void> {
    await this.prepare(meetingId, options);
    await this.prejoin.joinButton.click();
    await this.room.expectJoined();
  }
}
