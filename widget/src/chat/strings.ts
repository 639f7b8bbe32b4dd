/** The user-facing strings of the chat UI (English). The widget's locale tables extend this shape. */
export const en = {
  conversations: 'Conversations',
  back: 'Back to conversations',
  newConversation: 'New conversation',
  noConversations: 'No conversations yet. Start one!',
  pickConversation: 'Pick a conversation or start a new one.',
  emptyConversation: 'No messages yet. Say hello!',
  loadOlder: 'Load older messages',
  loadingOlder: 'Loading older messages…',
  composerLabel: 'Message',
  composerPlaceholder: 'Write a message…',
  /** The composer's description (its tooltip): the keys. */
  composerHint: 'Enter sends, Shift+Enter adds a new line',
  send: 'Send',
  sending: 'Sending…',
  failed: 'Not sent.',
  retry: 'Retry',
  you: 'You',
  signOut: 'Sign out',
  signedInAs: 'Signed in as',
  loading: 'Loading…',
  notSignedInTitle: 'You are not signed in',
  notSignedInBody: 'Open the chat from the product you use: it signs you in automatically.',
  accountDeactivated: 'Your chat account has been deactivated. Contact your administrator.',
  emailLabel: 'Your email address',
  emailSend: 'Email me a sign-in code',
  emailSent: 'Check your inbox: we sent you a 6-digit code and a sign-in link.',
  codeLabel: '6-digit code',
  codeSubmit: 'Sign in',
  emailOther: 'Use another address',
  liveLost: 'Connection lost. Reconnecting…',
  tooLong: 'A message may have at most 10,000 characters.',
  errorGeneric: 'Something went wrong. Try again.',
  readOnly: 'You can read this conversation but not write in it.',
  documentEmpty: 'No messages in this document yet.',
  documentNotFound: 'You have no access to this document.',
  /** The home view's team when the administrator named none. */
  teamName: 'Our team',
  /** The home view's reply time when the administrator set none. */
  replyTime: 'We reply as soon as we can.',
  /** Shown over the thread when messages arrived below what the user is reading. */
  newMessages: 'New messages ↓',
  /** Under my last message once another participant has read it. */
  seen: 'Seen',
  /** A count of unread messages (a conversation's unread dot says it to screen readers). */
  unread: (n: number) => (n === 1 ? '1 unread message' : `${n} unread messages`),
  /** An agent (the team) without a display name, when the administrator named no team either. */
  support: 'Support',
  /** Someone else is typing in the open conversation. */
  typing: (name: string) => `${name} is typing…`,
  /** The team has someone online (beside a green dot). */
  online: 'Online',
  /** Said while nobody of the team is online, when the administrator set no away text. */
  awayText: 'We usually answer within a few hours',
  /** Beside a message changed after it was sent. */
  edited: 'edited',
  /** In place of a deleted message, and as its preview in the list. */
  deleted: 'Message deleted',
  edit: 'Edit',
  /** The field that edits a message in place: its label, and its keys. */
  editLabel: 'Edit message',
  editHint: 'Enter saves, Escape cancels',
  delete: 'Delete',
  deleteConfirm: 'Delete this message?',
  cancel: 'Cancel',
  /** An edit or deletion refused because the message is older than the time allowed. */
  locked: 'This message can no longer be changed.',
  /** Stops the assistant's reply as it streams in. */
  stop: 'Stop',
  /** Hands a conversation the assistant answers to the team. */
  talkToPerson: 'Talk to a person',
  /** The composer's button that attaches files (also its label). */
  attach: 'Attach files',
  /** An author without a name, by type. */
  authors: { user: 'User', assistant: 'Assistant', system: 'System' },
};
export type Strings = typeof en;
