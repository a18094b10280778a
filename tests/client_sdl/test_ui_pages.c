/* test_ui_pages.c - UI cases of the conversation's scrollbar and the pages around it: a
 * conversation opening at its first unread message, "Jump to latest", the scrollbar's track
 * and thumb; the chat list's filter; the title and icon of an unfocused window; selecting and
 * copying text; colour emoji; a friend's info page. Run through test_client_sdl_ui CASE, as
 * the cases of test_ui.c; each saves ui_<case>.bmp.
 */
#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ui_fixture.h"
#include "ui_internal.h"
#include "ui_theme.h"
#include "uschat_client.h"

/* A conversation with 30 messages, the peer's last 12 unread: it opens at the first of them,
 * not at the bottom, and sends no read mark; "Jump to latest" goes to the bottom (and marks
 * it read); the scrollbar's track takes the view to the top, its thumb dragged down back. */
void test_first_unread(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 79});
    fx_drain(e.model);
    tu_frame(&e); /* "Loading messages...": no read mark before they are seen */
    tu_frame(&e);
    CHECK_INT(fx_count(e.model, USCHAT_ID_READ_MARK_REQ), 0);
    /* the thread list said: last seq 30, 12 unread */
    tu_feed_history(e.model, 79, 2004, 1, 2, "Message", false);
    tu_frame(&e);
    tu_frame(&e);
    SDL_Rect conv = ui_app_conversation_rect(e.ui);
    /* the 12th of Carol's messages from the end is index 29 - 2 * 11 = 7 */
    const ui_hit_t *first = tu_find_hit(&e, UI_ACT_BUBBLE, 7);
    CHECK(first != NULL, "the first unread message is on screen");
    CHECK(first->rect.y >= conv.y && first->rect.y < conv.y + 80,
          "it is at the top of the view (y %d, view from %d)", first->rect.y, conv.y);
    CHECK(tu_find_hit(&e, UI_ACT_BUBBLE, 29) == NULL, "the newest one is below the view");
    CHECK_INT(fx_count(e.model, USCHAT_ID_READ_MARK_REQ), 0);
    const ui_hit_t *jump = tu_find_hit(&e, UI_ACT_JUMP_LATEST, -1);
    CHECK(jump != NULL, "Jump to latest is offered");
    const ui_hit_t *bar = tu_find_hit(&e, UI_ACT_SCROLLBAR, -1);
    CHECK(bar != NULL, "a scrollbar");
    tu_save(&e, "first_unread");
    tu_click(jump);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_BUBBLE, 29) != NULL, "the newest message after the jump");
    CHECK(tu_find_hit(&e, UI_ACT_JUMP_LATEST, -1) == NULL, "no jump at the bottom");
    CHECK(fx_count(e.model, USCHAT_ID_READ_MARK_REQ) >= 1, "read at the bottom");
    /* a press near the top of the track: the view goes to the beginning */
    bar = tu_find_hit(&e, UI_ACT_SCROLLBAR, -1);
    CHECK(bar != NULL, "the scrollbar at the bottom");
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_MOUSEBUTTONDOWN;
    ev.button.button = SDL_BUTTON_LEFT;
    ev.button.x = bar->rect.x + bar->rect.w / 2;
    ev.button.y = bar->rect.y + 2;
    SDL_PushEvent(&ev);
    ev.type = SDL_MOUSEBUTTONUP;
    SDL_PushEvent(&ev);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_BUBBLE, 0) != NULL, "the oldest message after the track press");
    tu_save(&e, "scrollbar");
    /* the thumb dragged to the bottom of the track: the newest message again */
    bar = tu_find_hit(&e, UI_ACT_SCROLLBAR, -1);
    SDL_zero(ev);
    ev.type = SDL_MOUSEBUTTONDOWN;
    ev.button.button = SDL_BUTTON_LEFT;
    ev.button.x = bar->rect.x + bar->rect.w / 2;
    ev.button.y = bar->rect.y + 6; /* on the thumb, at the top */
    SDL_PushEvent(&ev);
    SDL_zero(ev);
    ev.type = SDL_MOUSEMOTION;
    ev.motion.x = bar->rect.x + bar->rect.w / 2;
    ev.motion.y = bar->rect.y + bar->rect.h + 50;
    SDL_PushEvent(&ev);
    SDL_zero(ev);
    ev.type = SDL_MOUSEBUTTONUP;
    ev.button.button = SDL_BUTTON_LEFT;
    SDL_PushEvent(&ev);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_BUBBLE, 29) != NULL, "the newest message after the drag");
    tu_check_hits_inside(&e);
    tu_env_free(&e);
}

/* The filter box over the chat list keeps the chats whose name matches; Esc clears it. */
void test_filter(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_OPEN_THREAD, 77) && tu_find_hit(&e, UI_ACT_OPEN_THREAD, 78),
          "all chats first");
    const ui_hit_t *box = NULL;
    const ui_hit_t *hits;
    size_t n = ui_app_hits(e.ui, &hits);
    for (size_t i = 0; i < n; i++)
        if (hits[i].action == UI_ACT_FIELD && hits[i].ptr == &e.ui->f_filter)
            box = &hits[i];
    CHECK(box != NULL, "a filter box on the Chats tab");
    tu_click(box);
    tu_text("li"); /* lilei (李雷) and nobody else */
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_OPEN_THREAD, 78) != NULL, "李雷's chat stays");
    CHECK(tu_find_hit(&e, UI_ACT_OPEN_THREAD, 77) == NULL, "Bob's is filtered out");
    CHECK(tu_find_hit(&e, UI_ACT_OPEN_THREAD, 79) == NULL, "Carol's is filtered out");
    tu_save(&e, "filter");
    tu_key(SDLK_ESCAPE, 0);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_OPEN_THREAD, 77) != NULL, "Esc shows every chat again");
    tu_env_free(&e);
}

/* A message while the window has no focus: "(N) UsChat" in the title; the icon is drawn. */
void test_notify(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_frame(&e);
    CHECK_STR(SDL_GetWindowTitle(e.window), "(14) UsChat");
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = SDL_WINDOWEVENT;
    ev.window.event = SDL_WINDOWEVENT_FOCUS_LOST;
    SDL_PushEvent(&ev);
    tu_frame(&e);
    fx_push(e.model, 77, 2002, 7708, 8, "Are you there?", tu_ago(0));
    tu_frame(&e);
    CHECK_STR(SDL_GetWindowTitle(e.window), "(15) UsChat");
    SDL_Surface *icon = ui_icon_new(64);
    CHECK(icon != NULL, "icon");
    Uint32 *px = icon->pixels;
    CHECK((px[0] >> 24) == 0, "the icon's corner is transparent");
    CHECK((px[32 * 64 + 4] & 0xffffff) == 0x2563eb, "its border the accent colour");
    CHECK((px[28 * 64 + 32] & 0xffffff) == 0xffffff, "a white bubble in the middle");
    SDL_Surface *big = SDL_CreateRGBSurfaceWithFormat(0, 256, 256, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Surface *i256 = ui_icon_new(256);
    SDL_BlitSurface(i256, NULL, big, NULL);
    SDL_SaveBMP(big, "ui_icon.bmp");
    SDL_FreeSurface(i256);
    SDL_FreeSurface(big);
    SDL_FreeSurface(icon);
    tu_env_free(&e);
}

/* Selecting text: Shift with the arrows shades it, typing replaces it, Ctrl+A / Ctrl+C /
 * Ctrl+X reach the clipboard; a clicked message is selected and Ctrl+C copies it. */
void test_select(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_open_conversation(e.model);
    fx_drain(e.model);
    tu_frame(&e);
    tu_click(tu_find_hit(&e, UI_ACT_FIELD, -1));
    tu_text("select this text");
    for (int i = 0; i < 4; i++)
        tu_key(SDLK_LEFT, KMOD_LSHIFT);
    tu_frame(&e);
    tu_frame(&e);
    SDL_Rect field = e.ui->f_message.rect;
    CHECK(tu_count(&e, field, UI_C_SELECTION, 2) > 100, "the selected word is shaded");
    tu_save(&e, "select");
    tu_key(SDLK_c, KMOD_LCTRL);
    tu_frame(&e);
    char *clip = SDL_GetClipboardText();
    CHECK_STR(clip, "text");
    SDL_free(clip);
    tu_text("words");
    tu_frame(&e);
    CHECK_STR(ui_field_text(&e.ui->f_message), "select this words");
    tu_key(SDLK_a, KMOD_LCTRL);
    tu_key(SDLK_x, KMOD_LCTRL);
    tu_frame(&e);
    CHECK_STR(ui_field_text(&e.ui->f_message), "");
    clip = SDL_GetClipboardText();
    CHECK_STR(clip, "select this words");
    SDL_free(clip);
    /* a message: clicked, then Ctrl+C */
    tu_click(tu_find_hit(&e, UI_ACT_BUBBLE, 2));
    tu_frame(&e);
    tu_key(SDLK_c, KMOD_LCTRL);
    tu_frame(&e);
    clip = SDL_GetClipboardText();
    CHECK_STR(clip, "你好！明天见。我们可以顺便讨论一下项目的进度吗？");
    SDL_free(clip);
    tu_env_free(&e);
}

/* Colour emoji (Noto Color Emoji, scaled to the line): yellow pixels inside the peer's white
 * bubble, the line as high as text, the meta still inside the bubble. */
void test_emoji(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
#ifdef _WIN32
    /* the Windows build's FreeType reads no PNG, and Noto Color Emoji's glyphs are PNGs */
    fprintf(stderr, "no PNG glyphs in the Windows build's FreeType: skipped\n");
    tu_env_free(&e);
    exit(77);
#endif
    if (access("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf", R_OK) != 0) {
        fprintf(stderr, "no colour emoji font (fonts-noto-color-emoji): skipped\n");
        tu_env_free(&e);
        exit(77);
    }
    app_model_act(e.model, &(app_act_t){.kind = APP_ACT_OPEN_THREAD, .id = 78});
    fx_drain(e.model);
    fx_feed(e.model, USCHAT_ID_LOAD_CHAT_RSP,
            json_pack("{sisIsIsbs[oo]}", "error", 0, "thread_id", (json_int_t)78, "last_message_id",
                      (json_int_t)7801, "load_more", 0, "chat_datas",
                      fx_item(2003, 7801, 1, "e1",
                              "Happy birthday! \xF0\x9F\x8E\x82\xF0\x9F\x98\x80", tu_ago(30)),
                      fx_item(FX_ME, 7802, 2, "e2", "谢谢 \xF0\x9F\x91\x8D", tu_ago(20))));
    tu_frame(&e);
    tu_frame(&e);
    const ui_hit_t *b = tu_find_hit(&e, UI_ACT_BUBBLE, 0);
    CHECK(b != NULL, "the bubble");
    CHECK(b->rect.h < 3 * ui_text_line_h(e.ui->text, UI_FONT_BODY), "one line high (%d)",
          b->rect.h);
    /* the face is yellow (red and green high, blue low) in a white bubble of grey text */
    int yellow = 0;
    for (int y = b->rect.y; y < b->rect.y + b->rect.h; y++)
        for (int x = b->rect.x; x < b->rect.x + b->rect.w; x++) {
            SDL_Color c = tu_px(&e, x, y);
            yellow += c.r > 200 && c.g > 150 && c.b < 90;
        }
    tu_save(&e, "emoji");
    CHECK(yellow > 30, "yellow pixels in the bubble (%d)", yellow);
    tu_env_free(&e);
}

/* A click on the conversation's header opens the friend's info page; "Message" goes back. */
void test_friend_info(void)
{
    env_t e = tu_env_new(1000, 680, tu_main_model());
    tu_open_conversation(e.model);
    fx_drain(e.model);
    tu_frame(&e);
    const ui_hit_t *head = tu_find_hit(&e, UI_ACT_PEER_INFO, 2002);
    CHECK(head != NULL, "the header opens the info page");
    tu_click(head);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_BUBBLE, -1) == NULL, "no bubbles on the info page");
    const ui_hit_t *msg = tu_find_hit(&e, UI_ACT_INFO_MESSAGE, 2002);
    CHECK(msg != NULL, "a Message button");
    tu_check_hits_inside(&e);
    tu_save(&e, "friend_info");
    tu_click(msg);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_BUBBLE, -1) != NULL, "back in the conversation");
    CHECK(e.ui->focus == &e.ui->f_message, "with the message box focused");
    tu_click(tu_find_hit(&e, UI_ACT_PEER_INFO, 2002));
    tu_key(SDLK_ESCAPE, 0);
    tu_frame(&e);
    tu_frame(&e);
    CHECK(tu_find_hit(&e, UI_ACT_BUBBLE, -1) != NULL, "Esc goes back too");
    tu_env_free(&e);
}
