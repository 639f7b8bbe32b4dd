/**
 * The schema, as ordered Kysely migrations applied at boot. They are written once for both dialects; the
 * only difference is how an auto-incrementing key is declared.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { titleFromMessage } from '#shared/fields.js';
import type { Dialect } from './database.js';
import { MESSAGE_SEARCH_ROWID, POSTGRES_SEARCH_TEXT, postgresSearchVector, SQLITE_TOKENIZE } from './search-query.js';

export const DEFAULT_ORGANIZATION_ID = 'default';

/** Every migration, by name in the order applied (exported for the tests of one migration's upgrade). */
export function schemaMigrations(dialect: Dialect): Record<string, Migration> {
  const serial = (name: string) =>
    dialect === 'postgres'
      ? sql`${sql.ref(name)} bigserial primary key`
      : sql`${sql.ref(name)} integer primary key autoincrement`;
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('organizations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db
          .insertInto('organizations' as never)
          .values({ id: DEFAULT_ORGANIZATION_ID, name: 'Default', created_at: Date.now() } as never)
          .execute();

        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('external_id', 'text', (c) => c.unique())
          .addColumn('email', 'text')
          .addColumn('email_normalized', 'text', (c) => c.unique())
          .addColumn('name', 'text')
          .addColumn('avatar_url', 'text')
          .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('role', 'text', (c) => c.notNull().defaultTo('member'))
          .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
          .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('created_via', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seen_at', 'bigint')
          .execute();
        await db.schema.createIndex('users_active').on('users').column('active').execute();

        await db.schema
          .createTable('auth_keys')
          .addColumn('kid', 'text', (c) => c.primaryKey())
          .addColumn('alg', 'text', (c) => c.notNull())
          .addColumn('secret', 'text')
          .addColumn('public_jwk', 'text')
          .addColumn('jwks_url', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('retired_at', 'bigint')
          .addColumn('last_used_at', 'bigint')
          .execute();

        // One-time codes (PARLEY_REQUIRE_JTI): each (issuer, jti) signs in once; rows expire with their token.
        await db.schema
          .createTable('used_jtis')
          .addColumn('issuer', 'text', (c) => c.notNull())
          .addColumn('jti', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('used_jtis_pk', ['issuer', 'jti'])
          .execute();

        await db.schema
          .createTable('sessions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint')
          .execute();
        await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

        await db.schema
          .createTable('conversations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_message_at', 'bigint')
          .execute();

        await db.schema
          .createTable('participants')
          .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('joined_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('participants_pk', ['conversation_id', 'user_id'])
          .execute();
        await db.schema.createIndex('participants_user').on('participants').columns(['user_id', 'conversation_id']).execute();

        await sql`create table messages (
          ${serial('seq')},
          id text not null unique,
          conversation_id text not null references conversations(id) on delete cascade,
          author_type text not null,
          author_id text,
          text text not null,
          client_message_id text,
          created_at bigint not null,
          unique (author_id, client_message_id)
        )`.execute(db);
        await db.schema.createIndex('messages_conversation').on('messages').columns(['conversation_id', 'seq']).execute();

        await sql`create table events (
          ${serial('id')},
          conversation_id text not null,
          type text not null,
          payload text not null,
          created_at bigint not null
        )`.execute(db);
      },
    },
    '0002_admin': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('settings')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('admin_links')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text')
          .addColumn('email', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('used_at', 'bigint')
          .execute();
        await sql`create table audit_log (
          ${serial('id')},
          at bigint not null,
          kind text not null,
          action text not null,
          actor_id text,
          actor_label text,
          outcome text not null,
          origin text,
          ip text,
          target text
        )`.execute(db);
        await db.schema.createIndex('audit_log_kind').on('audit_log').columns(['kind', 'id']).execute();
        await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
        // Admins' event streams follow their whole organization.
        await db.schema.alterTable('events').addColumn('organization_id', 'text').execute();
        await db.schema.createIndex('events_organization').on('events').columns(['organization_id', 'id']).execute();
        await db.schema.createIndex('users_created').on('users').columns(['created_at', 'id']).execute();
      },
    },
    '0003_admin_api_keys': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('admin_api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_used_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .execute();
      },
    },
    '0004_token_api_and_access': {
      async up(db: Kysely<unknown>) {
        // Token API credentials (docs/token-api.md, Credentials): an apiKey (public id) and the SHA-256 of
        // its authToken.
        await db.schema
          .createTable('api_credentials')
          .addColumn('api_key', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('auth_token_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_used_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .execute();
        // Parley's own signing keys for minted tokens: never the external secret.
        await db.schema
          .createTable('mint_keys')
          .addColumn('kid', 'text', (c) => c.primaryKey())
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('retired_at', 'bigint')
          .execute();
        // Resources: organizations › folders › documents. A document's folder is what the integrator said.
        await db.schema
          .createTable('documents')
          .addColumn('organization_id', 'text', (c) => c.notNull())
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('folder_id', 'text')
          .addPrimaryKeyConstraint('documents_pk', ['organization_id', 'id'])
          .execute();
        await db.schema
          .createTable('grants')
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('organization_id', 'text', (c) => c.notNull())
          .addColumn('resource_type', 'text', (c) => c.notNull())
          .addColumn('resource_id', 'text', (c) => c.notNull())
          .addColumn('access_role', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addPrimaryKeyConstraint('grants_pk', ['user_id', 'organization_id', 'resource_type', 'resource_id'])
          .execute();
        await db.schema.alterTable('conversations').addColumn('document_id', 'text').execute();
        await db.schema.alterTable('events').addColumn('document_id', 'text').execute();
        await db.schema.createIndex('conversations_document').on('conversations').columns(['organization_id', 'document_id']).unique().execute();
      },
    },
    '0005_signed_sessions': {
      async up(db: Kysely<unknown>) {
        // Sessions become signed tokens (auth/session-tokens.ts): a sign-in writes nothing for its session.
        // What remains in the database is what ends a session early. Sessions of the old kind end here.
        // Written to be run again after a crash half-way (SQLite runs DDL outside a transaction).
        await db.schema.dropTable('sessions').ifExists().execute();
        await db.schema
          .createTable('revoked_sessions')
          .ifNotExists()
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('revoked_sessions_expiry').ifNotExists().on('revoked_sessions').column('expires_at').execute();
        await db.schema
          .createTable('instance_secrets')
          .ifNotExists()
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.alterTable('users').addColumn('session_epoch', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      },
    },
    '0006_titles_and_read_markers': {
      async up(db: Kysely<unknown>) {
        // Titles become optional: a conversation created without one takes its first message's, and has none
        // (null) until then. SQLite cannot drop a NOT NULL, so there the table is rebuilt
        // (https://www.sqlite.org/lang_altertable.html#otheralter), all of it in one transaction.
        if (dialect === 'postgres') {
          await sql`alter table conversations alter column title drop not null`.execute(db);
          await titlesAndReadMarkers(db);
          return;
        }
        // Off while the old table is dropped (it would cascade to participants and messages); only outside
        // a transaction does the pragma take effect.
        await sql`pragma foreign_keys = off`.execute(db);
        try {
          await sql`begin`.execute(db);
          try {
            // Written to be run again after a crash between the commit and the migration's bookkeeping.
            await sql`drop table if exists conversations_rebuilt`.execute(db);
            await sql`create table conversations_rebuilt (
              id text primary key,
              organization_id text not null references organizations(id),
              title text,
              created_by text,
              created_at bigint not null,
              last_message_at bigint,
              document_id text
            )`.execute(db);
            await sql`insert into conversations_rebuilt (id, organization_id, title, created_by, created_at, last_message_at, document_id)
              select id, organization_id, title, created_by, created_at, last_message_at, document_id from conversations`.execute(db);
            await sql`drop table conversations`.execute(db);
            await sql`alter table conversations_rebuilt rename to conversations`.execute(db);
            await db.schema.createIndex('conversations_document').on('conversations').columns(['organization_id', 'document_id']).unique().execute();
            const broken = await sql`pragma foreign_key_check`.execute(db);
            if (broken.rows.length > 0) throw new Error(`foreign keys broken by the rebuild of conversations: ${JSON.stringify(broken.rows.slice(0, 5))}`);
            await titlesAndReadMarkers(db);
            await sql`commit`.execute(db);
          } catch (error) {
            await sql`rollback`.execute(db).catch(() => undefined);
            throw error;
          }
        } finally {
          await sql`pragma foreign_keys = on`.execute(db);
        }
      },
    },
    '0007_inbox': {
      async up(db: Kysely<unknown>) {
        // The inbox's workflow: a status, an assignee (an administrator; null when unassigned, or when that
        // account is gone) and the end of a snooze.
        await db.schema.alterTable('conversations').addColumn('status', 'text', (c) => c.notNull().defaultTo('open')).execute();
        await db.schema.alterTable('conversations').addColumn('assignee_id', 'text').execute();
        await db.schema.alterTable('conversations').addColumn('snoozed_until', 'bigint').execute();
        await db.schema.createIndex('conversations_inbox').on('conversations').columns(['organization_id', 'status', 'assignee_id']).execute();
        await db.schema.createIndex('conversations_snoozed').on('conversations').columns(['status', 'snoozed_until']).execute();
        // Internal notes (administrators only), edits and deletions (the text is emptied, deleted_at set).
        await db.schema.alterTable('messages').addColumn('internal', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable('messages').addColumn('edited_at', 'bigint').execute();
        await db.schema.alterTable('messages').addColumn('deleted_at', 'bigint').execute();
        // An event of an internal note reaches administrators' streams only.
        await db.schema.alterTable('events').addColumn('internal', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        // Per account: preferences (JSON, an administrator's alert sound), the page where the widget was last
        // opened (origin and path), and when an administrator last had the panel open (presence).
        await db.schema.alterTable('users').addColumn('preferences', 'text', (c) => c.notNull().defaultTo('{}')).execute();
        await db.schema.alterTable('users').addColumn('last_page', 'text').execute();
        await db.schema.alterTable('users').addColumn('panel_seen_at', 'bigint').execute();
        await db.schema
          .createTable('canned_replies')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
          .addColumn('title', 'text', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('canned_replies_organization').on('canned_replies').columns(['organization_id', 'title']).execute();
      },
      // For the tests of an earlier migration's upgrade, which go back to before it (PostgreSQL).
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('canned_replies').execute();
        for (const [table, columns] of [
          ['users', ['panel_seen_at', 'last_page', 'preferences']],
          ['events', ['internal']],
          ['messages', ['deleted_at', 'edited_at', 'internal']],
          ['conversations', ['snoozed_until', 'assignee_id', 'status']],
        ] as const) {
          for (const column of columns) await db.schema.alterTable(table).dropColumn(column).execute();
        }
      },
    },
    '0008_search': {
      // Full-text search of the inbox (store/search.ts): message text, conversation titles, and users' names and
      // emails, each indexed by the database itself so that the index follows every write, whoever makes it.
      async up(db: Kysely<unknown>) {
        if (dialect === 'postgres') {
          // Expression indexes rather than generated tsvector columns: those would come back from every
          // `selectAll()` of messages, users and conversations. The existing rows are indexed as it is built.
          for (const [index, table, expression] of POSTGRES_SEARCH_INDEXES) {
            await sql`create index ${sql.ref(index)} on ${sql.ref(table)} using gin (${sql.raw(postgresSearchVector(expression))})`.execute(db);
          }
          return;
        }
        // External-content FTS5 tables (https://www.sqlite.org/fts5.html#external_content_tables): the text stays
        // in its table, the index is kept by triggers, then filled from the rows already there ('rebuild').
        // Users and conversations have no integer key, so their index rows follow the implicit rowid; a
        // migration that rebuilds one of those tables must rebuild its index ('rebuild') and triggers too.
        for (const table of SQLITE_SEARCH_TABLES) await createExternalContentIndex(db, table);
      },
      async down(db: Kysely<unknown>) {
        if (dialect === 'postgres') {
          for (const [index] of POSTGRES_SEARCH_INDEXES) await db.schema.dropIndex(index).execute();
          return;
        }
        for (const { index } of SQLITE_SEARCH_TABLES) {
          for (const event of ['insert', 'delete', 'update']) await sql.raw(`drop trigger ${index}_${event}`).execute(db);
          await sql.raw(`drop table ${index}`).execute(db);
        }
      },
    },
    '0009_search_by_conversation': {
      // The inbox's presence query (store/presence.ts) reads the administrators seen lately.
      // SQLite: the messages' index of 0008 answered message rows, each then looked up in `messages` for its
      // conversation, which cost more than the search itself for a word found in many messages. Its
      // replacement is contentless (https://www.sqlite.org/fts5.html#contentless_tables) and keyed by
      // `MESSAGE_SEARCH_ROWID`, from which the conversation is read with no lookup; it keeps indexes of 2- and
      // 3-letter prefixes, so that a short prefix reads one list rather than every word it begins. Its
      // triggers remove a message's words with FTS5's 'delete' command, given the old text, in secure-delete
      // mode (https://www.sqlite.org/fts5.html#the_secure_delete_configuration_option): an edited or deleted
      // message's words leave the index's pages at once, not at some later merge. Titles likewise.
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('users_panel_seen').on('users').column('panel_seen_at').execute();
        if (dialect === 'postgres') return;
        for (const event of ['insert', 'delete', 'update']) await sql.raw(`drop trigger messages_search_${event}`).execute(db);
        await sql.raw('drop table messages_search').execute(db);
        const key = (row: 'new' | 'old') => `(select ${MESSAGE_SEARCH_ROWID('c.rowid', `${row}.seq`)} from conversations c where c.id = ${row}.conversation_id)`;
        const add = `insert into messages_search (rowid, text) values (${key('new')}, new.text);`;
        const remove = `insert into messages_search (messages_search, rowid, text) values ('delete', ${key('old')}, old.text);`;
        // Every message has its row (an empty text has no words), so that each 'delete' names a row there.
        await sql.raw(`create virtual table messages_search using fts5(text, content='', prefix='2 3', tokenize="${SQLITE_TOKENIZE}")`).execute(db);
        for (const index of ['messages_search', 'conversation_titles_search']) await sql.raw(`insert into ${index} (${index}, rank) values ('secure-delete', 1)`).execute(db);
        await sql.raw(`create trigger messages_search_insert after insert on messages begin ${add} end`).execute(db);
        // A message deleted with its conversation (cascaded) was removed from the index just before.
        await sql.raw(`create trigger messages_search_delete after delete on messages when exists (select 1 from conversations c where c.id = old.conversation_id) begin ${remove} end`).execute(db);
        await sql.raw(`create trigger messages_search_update after update of text on messages begin ${remove} ${add} end`).execute(db);
        await sql
          .raw(
            `create trigger messages_search_conversation_delete before delete on conversations begin insert into messages_search (messages_search, rowid, text) select 'delete', ${MESSAGE_SEARCH_ROWID('old.rowid', 'm.seq')}, m.text from messages m where m.conversation_id = old.id; end`,
          )
          .execute(db);
        await sql.raw(`insert into messages_search (rowid, text) select ${MESSAGE_SEARCH_ROWID('c.rowid', 'm.seq')}, m.text from messages m join conversations c on c.id = m.conversation_id`).execute(db);
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropIndex('users_panel_seen').execute();
        if (dialect === 'postgres') return;
        for (const event of ['insert', 'delete', 'update', 'conversation_delete']) await sql.raw(`drop trigger messages_search_${event}`).execute(db);
        await sql.raw('drop table messages_search').execute(db);
        await createExternalContentIndex(db, SQLITE_SEARCH_TABLES[0]);
      },
    },
    '0010_outbox': {
      // Everything that leaves Parley (emails, webhook deliveries, the notices behind emails) is a row of the
      // outbox, written in the transaction of the change that causes it and sent by outbound/worker.ts.
      async up(db: Kysely<unknown>) {
        await sql`create table outbox (
          ${serial('seq')},
          id text not null unique,
          kind text not null,
          target text,
          ordering_key text,
          payload text not null,
          status text not null,
          attempts integer not null default 0,
          next_attempt_at bigint not null,
          locked_until bigint,
          last_error text,
          created_at bigint not null,
          updated_at bigint not null,
          done_at bigint
        )`.execute(db);
        await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at']).execute();
        await db.schema.createIndex('outbox_ordering').on('outbox').columns(['ordering_key', 'seq']).execute();
        await db.schema.createIndex('outbox_target').on('outbox').columns(['kind', 'target', 'seq']).execute();
        // Each try of a row: when, how long, the answer's status code (HTTP) or the error.
        await sql`create table outbox_attempts (
          ${serial('id')},
          outbox_seq bigint not null references outbox(seq) on delete cascade,
          attempt integer not null,
          at bigint not null,
          duration_ms integer not null,
          status_code integer,
          error text
        )`.execute(db);
        await db.schema.createIndex('outbox_attempts_row').on('outbox_attempts').columns(['outbox_seq', 'id']).execute();
        // Webhook endpoints (Standard Webhooks): the events sent, the signing secret, since when deliveries fail.
        await db.schema
          .createTable('webhook_endpoints')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('events', 'text', (c) => c.notNull())
          .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('failing_since', 'bigint')
          .addColumn('disabled_reason', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('webhook_endpoints_organization').on('webhook_endpoints').columns(['organization_id', 'enabled']).execute();
        // Email sign-in: a code and a link per request, kept as hashes, one use, a few attempts at the code.
        await db.schema
          .createTable('email_sign_ins')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('email_normalized', 'text', (c) => c.notNull())
          .addColumn('code_hash', 'text', (c) => c.notNull())
          .addColumn('link_hash', 'text', (c) => c.notNull().unique())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('return_to', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('used_at', 'bigint')
          .execute();
        await db.schema.createIndex('email_sign_ins_email').on('email_sign_ins').columns(['email_normalized', 'created_at']).execute();
        // A message's earlier events, rewritten when it is edited or deleted (store/events.ts, rewriteMessage).
        await db.schema.createIndex('events_conversation').on('events').columns(['conversation_id', 'id']).execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropIndex('events_conversation').execute();
        for (const table of ['email_sign_ins', 'webhook_endpoints', 'outbox_attempts', 'outbox']) await db.schema.dropTable(table).execute();
      },
    },
    '0012_mail': {
      // The one-time links of notification emails (a user's "open the conversation"), kept as SHA-256 hashes.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('email_links')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('used_at', 'bigint')
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('email_links').execute();
      },
    },
    '0013_email_sign_in': {
      // The address as the visitor typed it, for the account a link creates (email_normalized is lower-case).
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('email_sign_ins').addColumn('email', 'text').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.alterTable('email_sign_ins').dropColumn('email').execute();
      },
    },
    '0014_event_retention': {
      // The newest event id retention deleted, so that a stream resuming from before it is told to resync.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('events_pruned')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('through', 'bigint', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('events_pruned').execute();
      },
    },
    '0015_attachments': {
      // Files attached to messages (store/attachments.ts) and, for the `database` file storage, their bytes
      // in chunks (storage/database-blobs.ts), so no row holds a whole file.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('attachments')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
          // Null once the account is deleted: its files are then `deleted`, for the sweeper to remove their bytes.
          .addColumn('uploader_id', 'text', (c) => c.references('users.id').onDelete('set null'))
          // Null until a message takes it; an unattached upload is swept after a day.
          .addColumn('message_id', 'text', (c) => c.references('messages.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          // While `uploading`, the most it may take (its quota reservation); the bytes stored once `ready`.
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('width', 'integer')
          .addColumn('height', 'integer')
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('storage_key', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('attachments_message').on('attachments').columns(['message_id']).execute();
        await db.schema.createIndex('attachments_uploader').on('attachments').columns(['uploader_id', 'state']).execute();
        await db.schema.createIndex('attachments_created').on('attachments').columns(['state', 'created_at']).execute();
        await db.schema
          .createTable('blob_chunks')
          .addColumn('storage_key', 'text', (c) => c.notNull())
          .addColumn('n', 'integer', (c) => c.notNull())
          .addColumn('data', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
          .addPrimaryKeyConstraint('blob_chunks_pk', ['storage_key', 'n'])
          .execute();
        // The message's files as it presents them (a JSON list), so no read of a message joins for them.
        await db.schema.alterTable('messages').addColumn('attachments', 'text').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.alterTable('messages').dropColumn('attachments').execute();
        await db.schema.dropTable('blob_chunks').execute();
        await db.schema.dropTable('attachments').execute();
      },
    },
    '0016_assistant': {
      // The AI assistant (docs/assistant.md): its configuration, each reply's state (so that a reply
      // interrupted by a crash is ended once, never posted twice), usage per UTC day, the assistant's name on
      // its messages, and when a conversation was handed to the team (the assistant no longer answers).
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('assistants')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('base_url', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('api_key', 'text', (c) => c.notNull())
          .addColumn('system_prompt', 'text', (c) => c.notNull())
          .addColumn('temperature', dialect === 'postgres' ? 'double precision' : 'real', (c) => c.notNull())
          .addColumn('answers', 'text', (c) => c.notNull())
          // JSON list of organization ids; null: every organization.
          .addColumn('organization_ids', 'text')
          .addColumn('document_rooms', 'integer', (c) => c.notNull())
          .addColumn('share_token_metadata', 'integer', (c) => c.notNull())
          .addColumn('allow_private_address', 'integer', (c) => c.notNull())
          .addColumn('context_tokens', 'integer', (c) => c.notNull())
          // JSON object of the four daily limits, each a number or null.
          .addColumn('limits', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('assistant_replies')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
          .addColumn('assistant_id', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.notNull())
          // pending, streaming, then done (a message stored), stopped, failed or skipped.
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('stop_requested', 'integer', (c) => c.notNull().defaultTo(0))
          // The text streamed so far, saved about once a second while streaming (for a crash's recovery).
          .addColumn('partial_text', 'text', (c) => c.notNull().defaultTo(''))
          // The newest message its context held: the reply answers up to there (assistant/context.ts).
          .addColumn('context_seq', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('assistant_replies_conversation').on('assistant_replies').columns(['conversation_id', 'state']).execute();
        await db.schema
          .createTable('assistant_usage')
          .addColumn('assistant_id', 'text', (c) => c.notNull().references('assistants.id').onDelete('cascade'))
          .addColumn('day', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('organization_id', 'text', (c) => c.notNull())
          .addColumn('messages', 'integer', (c) => c.notNull())
          .addColumn('tokens', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('assistant_usage_pk', ['assistant_id', 'day', 'user_id'])
          .execute();
        await db.schema.createIndex('assistant_usage_organization').on('assistant_usage').columns(['assistant_id', 'day', 'organization_id']).execute();
        await db.schema.alterTable('messages').addColumn('assistant_name', 'text').execute();
        await db.schema.alterTable('conversations').addColumn('assistant_off_at', 'bigint').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.alterTable('conversations').dropColumn('assistant_off_at').execute();
        await db.schema.alterTable('messages').dropColumn('assistant_name').execute();
        await db.schema.dropTable('assistant_usage').execute();
        await db.schema.dropTable('assistant_replies').execute();
        await db.schema.dropTable('assistants').execute();
      },
    },
  };
}

/** Migration 0008's GIN indexes on PostgreSQL: name, table, and the text indexed (which store/search.ts repeats). */
const POSTGRES_SEARCH_INDEXES = [
  ['messages_search', 'messages', POSTGRES_SEARCH_TEXT.messages],
  ['conversations_title_search', 'conversations', POSTGRES_SEARCH_TEXT.conversations],
  ['users_search', 'users', POSTGRES_SEARCH_TEXT.users],
] as const;

/** Migration 0008's FTS5 tables on SQLite: each indexes these columns of its table (store/search.ts reads them);
 * 0009 replaces the first. */
const SQLITE_SEARCH_TABLES = [
  { index: 'messages_search', table: 'messages', rowid: 'seq', columns: ['text'] },
  { index: 'conversation_titles_search', table: 'conversations', rowid: 'rowid', columns: ['title'] },
  { index: 'users_search', table: 'users', rowid: 'rowid', columns: ['name', 'email'] },
] as const;

/** An external-content FTS5 table of migration 0008 over `columns` of `table`, kept by triggers, filled from the rows there. */
async function createExternalContentIndex(db: Kysely<unknown>, { index, table, rowid, columns }: (typeof SQLITE_SEARCH_TABLES)[number]): Promise<void> {
  const cols = columns.join(', ');
  const values = (row: 'new' | 'old') => columns.map((c) => `${row}.${c}`).join(', ');
  const remove = `insert into ${index} (${index}, rowid, ${cols}) values ('delete', old.${rowid}, ${values('old')});`;
  const add = `insert into ${index} (rowid, ${cols}) values (new.${rowid}, ${values('new')});`;
  await sql.raw(`create virtual table ${index} using fts5(${cols}, content='${table}', content_rowid='${rowid}', tokenize="${SQLITE_TOKENIZE}")`).execute(db);
  await sql.raw(`create trigger ${index}_insert after insert on ${table} begin ${add} end`).execute(db);
  await sql.raw(`create trigger ${index}_delete after delete on ${table} begin ${remove} end`).execute(db);
  await sql.raw(`create trigger ${index}_update after update of ${cols} on ${table} begin ${remove} ${add} end`).execute(db);
  await sql.raw(`insert into ${index} (${index}) values ('rebuild')`).execute(db);
}

/** The tables `titlesAndReadMarkers` touches, as they are at that migration. */
interface TitleMigrationTables {
  conversations: { id: string; title: string | null; document_id: string | null };
  messages: { seq: number; conversation_id: string; text: string };
}

const TITLE_BATCH = 500;

/**
 * Migration 0006's data and table (both dialects): the old placeholder title 'New conversation' is
 * replaced by the first message's title (shared/src/fields.ts, titleFromMessage), or null in a
 * conversation without messages, which the clients show as a placeholder in the reader's language; document
 * rooms keep their document id. Then the table of read markers.
 */
async function titlesAndReadMarkers(unknownDb: Kysely<unknown>): Promise<void> {
  const db = unknownDb as unknown as Kysely<TitleMigrationTables>;
  for (let after = ''; ; ) {
    const ids = (
      await db
        .selectFrom('conversations')
        .select('id')
        .where('title', '=', 'New conversation')
        .where('document_id', 'is', null)
        .where('id', '>', after)
        .orderBy('id')
        .limit(TITLE_BATCH)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) break;
    const firsts = await db
      .selectFrom('messages')
      .select(['conversation_id', 'text'])
      .where('seq', 'in', (eb) => eb.selectFrom('messages').select((e) => e.fn.min('seq').as('seq')).where('conversation_id', 'in', ids).groupBy('conversation_id'))
      .execute();
    const firstText = new Map(firsts.map((m) => [m.conversation_id, m.text]));
    for (const id of ids) {
      const text = firstText.get(id);
      await db.updateTable('conversations').set({ title: text === undefined ? null : titleFromMessage(text) }).where('id', '=', id).execute();
    }
    after = ids[ids.length - 1]!;
  }

  await unknownDb.schema
    .createTable('read_markers')
    .ifNotExists()
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('read_markers_pk', ['conversation_id', 'user_id'])
    .execute();
}

/** Applies every migration not yet applied; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, schema?: string): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => schemaMigrations(dialect) };
  // With a schema of its own, the migration bookkeeping lives there too (Kysely would otherwise look for it
  // across every schema, and see another store's).
  const { error, results } = await new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
