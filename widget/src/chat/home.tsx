/**
 * The top of the widget's home view: who answers (the team's avatar, or its initial, and name), the greeting
 * and when to expect a reply. The composer and the conversations follow it in the view.
 */
import type { Strings } from './strings.js';

/** What the home view says about the team; a null field is said by the chat's own default. */
export interface HomeInfo {
  teamName: string | null;
  avatarUrl: string | null;
  /** Resolved already ("Hi Ada 👋 — ask us anything"); empty: none. */
  greeting: string;
  replyTime: string | null;
}

export function Home({ home, t }: { home: HomeInfo | undefined; t: Strings }) {
  const name = home?.teamName || t.teamName;
  return (
    <div class="hero">
      {home?.avatarUrl ? (
        <img class="avatar" src={home.avatarUrl} alt="" />
      ) : (
        <span class="avatar" aria-hidden="true">
          {[...name][0]}
        </span>
      )}
      <h3 dir="auto">{name}</h3>
      {home?.greeting && (
        <p class="greeting" dir="auto">
          {home.greeting}
        </p>
      )}
      <p class="reply" dir="auto">
        {home?.replyTime || t.replyTime}
      </p>
    </div>
  );
}
