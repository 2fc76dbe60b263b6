/**
 * A participant: one browser context (its own storage, its own fake camera and microphone, as if it
 * were a separate browser) with one page and the page objects on it.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { ChatPanel } from './pages/chat';
import { HomePage } from './pages/home';
import { LeftPage } from './pages/left';
import { PreJoinPage } from './pages/prejoin';
import { RoomPage } from './pages/room';

export type JoinOptions = { mic?: boolean; cam?: boolean; rememberName?: boolean };

export class Participant {
  readonly home: HomePage;
  readonly prejoin: PreJoinPage;
  readonly room: RoomPage;
  readonly chat: ChatPanel;
  readonly left: LeftPage;

  constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    this.home = new HomePage(page);
    this.prejoin = new PreJoinPage(page);
    this.room = new RoomPage(page);
    this.chat = new ChatPanel(page);
    this.left = new LeftPage(page);
  }

  /** Starts a new meeting from the home page and returns its id (stays on the pre-join page). */
  async newMeeting(): Promise<string> {
    await this.home.goto();
    return this.home.newMeeting();
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
