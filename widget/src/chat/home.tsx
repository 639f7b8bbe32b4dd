/**
 * The top of the widget's home view: who answers (the team's avatar, or its initial, and name), the greeting
 * and when to expect a reply: "Online" and the reply time while someone of the team is online, the away text
 * while nobody is, the reply time while nobody knows. The composer and the conversations follow it in the view.
 */
import type { Strings } from './strings.js';

/** What the home view says about the team; a null field is said by the chat's own default. */
export interface HomeInfo {
  teamName: string | null;
  avatarUrl: string | null;
  /** Resolved already ("Hi Ada 👋 — ask us anything"); empty: none. */
  greeting: string;
  replyTime: string | null;
  /** Said while nobody of the team is online. */
  awayText?: string | null;
}

/** A picture of someone, else the initial of `name` (`cls`: its class, the hero's or a message's). */
export const Avatar = ({ url, name, cls }: { url: string | null | undefined; name: string; cls: string }) =>
  url ? (
    <img class={cls} src={url} alt="" />
  ) : (
    <span class={cls} aria-hidden="true">
      {[...name][0]}
    </span>
  );

/** "Online" beside a green dot while the team is, else `away`; nothing while unknown. */
export const Presence = ({ online, away, t }: { online: boolean | null; away: string; t: Strings }) =>
  online === null ? null : (
    <p class={online ? 'presence on' : 'presence'} dir="auto">
      {online ? t.online : away}
    </p>
  );

export function Home({ home, t, online = null }: { home: HomeInfo | undefined; t: Strings; online?: boolean | null }) {
  const name = home?.teamName || t.teamName;
  return (
    <div class="hero">
      <Avatar url={home?.avatarUrl} name={name} cls="avatar" />
      <h3 dir="auto">{name}</h3>
      {home?.greeting && (
        <p class="greeting" dir="auto">
          {home.greeting}
        </p>
      )}
      <Presence online={online} away={home?.awayText || t.awayText} t={t} />
      {online !== false && (
        <p class="reply" dir="auto">
          {home?.replyTime || t.replyTime}
        </p>
      )}
    </div>
  );
}
