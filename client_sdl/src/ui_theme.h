/* ui_theme.h - the desktop client's colours and sizes in one place, so every screen looks
 * like the others (and the UI tests can look for the same colours in the pixels they read).
 * Constants only; included by the ui_*.c files on the UI thread and by the UI tests.
 */
#ifndef USCHAT_SDL_UI_THEME_H
#define USCHAT_SDL_UI_THEME_H

#include <SDL.h>

#define UI_RGB(r, g, b) ((SDL_Color){(r), (g), (b), 255})

#define UI_C_BG          UI_RGB(243, 244, 246) /* window background behind cards */
#define UI_C_PANEL       UI_RGB(255, 255, 255) /* sidebar, cards, peer bubbles */
#define UI_C_CONV_BG     UI_RGB(236, 239, 244) /* behind the bubbles */
#define UI_C_BORDER      UI_RGB(226, 229, 234)
#define UI_C_FIELD_LINE  UI_RGB(209, 213, 219)
#define UI_C_TEXT        UI_RGB(17, 24, 39)
#define UI_C_TEXT2       UI_RGB(107, 114, 128)
#define UI_C_TEXT3       UI_RGB(156, 163, 175)
#define UI_C_ACCENT      UI_RGB(37, 99, 235)
#define UI_C_SELECTION   UI_RGB(191, 213, 250) /* selected text, under it */
#define UI_C_ACCENT_DARK UI_RGB(29, 78, 216)
#define UI_C_ACCENT_SOFT UI_RGB(228, 237, 253) /* selected row */
#define UI_C_HOVER       UI_RGB(245, 246, 248)
#define UI_C_OWN_BUBBLE  UI_RGB(59, 130, 246)
#define UI_C_OWN_TEXT    UI_RGB(255, 255, 255)
#define UI_C_OWN_META    UI_RGB(219, 234, 254)
#define UI_C_PEER_BUBBLE UI_RGB(255, 255, 255)
#define UI_C_BADGE       UI_RGB(239, 68, 68)
#define UI_C_ERROR       UI_RGB(220, 38, 38)
#define UI_C_OK          UI_RGB(22, 163, 74)
#define UI_C_ONLINE      UI_RGB(34, 197, 94)
#define UI_C_WAIT        UI_RGB(245, 158, 11)
#define UI_C_OFFLINE     UI_RGB(156, 163, 175)
#define UI_C_TOAST       UI_RGB(31, 41, 55)
#define UI_C_DISABLED    UI_RGB(147, 176, 240)

/* Layout, in pixels. */
#define UI_STATUS_H     26
#define UI_HEADER_H     60
#define UI_TABS_H       42
#define UI_ROW_H        68
#define UI_AVATAR       44
#define UI_SIDEBAR_MIN  260
#define UI_SIDEBAR_MAX  340
#define UI_FORM_W       380
#define UI_FIELD_H      40
#define UI_BUTTON_H     42
#define UI_RADIUS       8
#define UI_BUBBLE_R     12
#define UI_BUBBLE_PAD_X 12
#define UI_BUBBLE_PAD_Y 8

#endif
