/**
 * Page object of moderation: the moderator menu (mute everyone, lock, lobby, password, links, end for
 * all), a participant's moderator actions in the participants panel, the lobby, and what the
 * moderated person sees (waiting, refused with a password form, removed, asked to unmute).
 */
import { expect, type Locator, type Page } from '@playwright/test';

export class ModerationPage {
  readonly menuButton: Locator;
  readonly menu: Locator;
  readonly muteAll: Locator;
  readonly lockToggle: Locator;
  readonly lobbyToggle: Locator;
  readonly meetingPassword: Locator;
  readonly setPassword: Locator;
  readonly endForAll: Locator;
  readonly copyLink: Locator;
  readonly confirm: Locator;
  readonly knocks: Locator;
  readonly knockBadge: Locator;
  readonly waitingPage: Locator;
  readonly refused: Locator;
  readonly passwordInput: Locator;
  readonly passwordSubmit: Locator;
  readonly removedPage: Locator;
  readonly endedPage: Locator;
  readonly unmuteAsked: Locator;
  readonly unmuteAccept: Locator;
  readonly turnedOff: Locator;
  readonly stateLocked: Locator;
  readonly stateLobby: Locator;
  readonly statePassword: Locator;

  constructor(readonly page: Page) {
    this.menuButton = page.getByTestId('moderator-menu');
    this.menu = page.getByTestId('moderator-menu-panel');
    this.muteAll = page.getByTestId('mute-all');
    this.lockToggle = page.getByTestId('lock-toggle');
    this.lobbyToggle = page.getByTestId('lobby-toggle');
    this.meetingPassword = page.getByTestId('meeting-password');
    this.setPassword = page.getByTestId('set-password');
    this.endForAll = page.getByTestId('end-for-all');
    this.copyLink = page.getByTestId('copy-link');
    this.confirm = page.getByTestId('confirm');
    this.knocks = page.getByTestId('knock');
    this.knockBadge = page.getByTestId('knock-badge');
    this.waitingPage = page.getByTestId('waiting-page');
    this.refused = page.getByTestId('refused');
    this.passwordInput = page.getByTestId('password-input');
    this.passwordSubmit = page.getByTestId('password-submit');
    this.removedPage = page.getByTestId('removed-page');
    this.endedPage = page.getByTestId('ended-page');
    this.unmuteAsked = page.getByTestId('unmute-asked');
    this.unmuteAccept = page.getByTestId('unmute-accept');
    this.turnedOff = page.getByTestId('turned-off');
    this.stateLocked = page.getByTestId('state-locked');
    this.stateLobby = page.getByTestId('state-lobby');
    this.statePassword = page.getByTestId('state-password');
  }

  /** Opens the moderator menu (a popover) unless it is open. */
  async openMenu(): Promise<void> {
    if (!(await this.menu.isVisible())) await this.menuButton.click();
    await expect(this.menu).toBeVisible();
  }

  /** A menu toggle (lock, lobby): clicks it unless it is already in the wanted state. */
  async setToggle(toggle: Locator, on: boolean): Promise<void> {
    await this.openMenu();
    const wanted = String(on);
    if ((await toggle.getAttribute('aria-pressed')) !== wanted) await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', wanted);
  }

  async setMeetingPassword(password: string): Promise<void> {
    await this.openMenu();
    await this.meetingPassword.fill(password);
    await this.setPassword.click();
    await expect(this.statePassword).toBeVisible();
  }

  /** The knock of waiting newcomer `name`. */
  knock(name: string): Locator {
    return this.knocks.filter({ hasText: name });
  }

  /** The refused view with error code `code` (the `ErrorCode` variant name). */
  async expectRefused(code: string): Promise<void> {
    await expect(this.refused).toHaveAttribute('data-code', code);
    await expect(this.page.getByTestId('error')).toBeVisible();
  }
}

/** The moderator actions inside a participants-panel row. */
export function actionsIn(row: Locator): Record<string, Locator> {
  const actions = row.getByTestId('participant-actions');
  return {
    group: actions,
    mute: actions.getByTestId('action-mute'),
    stopVideo: actions.getByTestId('action-stop-video'),
    askUnmute: actions.getByTestId('action-ask-unmute'),
    makeModerator: actions.getByTestId('action-make-moderator'),
    remove: actions.getByTestId('action-remove'),
    ban: actions.getByTestId('action-ban'),
  };
}
