/**
 * The shape of `GET /api/v1/widget/settings?locale=…` (docs/admin-api.md, Widget): the widget's look and
 * words as an administrator set them, with the texts already picked for the locale. The server serialises
 * with the schema; the widget imports the type only (`import type`), so TypeBox never reaches its bundle.
 */
import { Type, type Static } from '@sinclair/typebox';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const WidgetAppearanceSchema = Type.Object(
  {
    teamName: Nullable(Type.String()),
    avatarUrl: Nullable(Type.String({ description: 'an https URL' })),
    title: Nullable(Type.String({ description: "the panel's title; null: the widget's own" })),
    accentColor: Nullable(Type.String({ description: '#rrggbb; null: the widget’s own' })),
    onAccentColor: Nullable(Type.String({ description: '#ffffff or #000000, whichever contrasts more with accentColor; null with it' })),
    launcherIconUrl: Nullable(Type.String()),
    position: Type.Union([Type.Literal('right'), Type.Literal('left')]),
    greeting: Nullable(Type.String({ description: "in the locale asked for, else English; {name} stands for the user's first name" })),
    replyTime: Nullable(Type.String({ description: 'in the locale asked for, else English' })),
    awayText: Nullable(Type.String({ description: 'shown while no administrator is online; in the locale asked for, else English' })),
  },
  { additionalProperties: false },
);
export type WidgetAppearance = Static<typeof WidgetAppearanceSchema>;

export const WidgetSettingsResponseSchema = Type.Object(
  {
    widget: WidgetAppearanceSchema,
    signInMethods: Type.Array(Type.Union([Type.Literal('external'), Type.Literal('email')]), {
      description: 'what a visitor without a session is offered: email only while an SMTP server is configured',
    }),
  },
  { additionalProperties: false },
);
export type WidgetSettingsResponse = Static<typeof WidgetSettingsResponseSchema>;

export const WidgetSettingsQuerySchema = Type.Object({
  locale: Type.Optional(Type.String({ maxLength: 35, description: 'en, fr or ar (a region such as fr-CA counts as fr); other locales get the English texts' })),
});
