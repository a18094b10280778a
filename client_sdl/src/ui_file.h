/* ui_file.h - pictures and files in the conversation: the attach button and its path field
 * (SDL2 has no file dialog), drag-and-drop and Ctrl+V of a path, image bubbles with the
 * preview, file bubbles with an icon, name, size, a progress bar and their buttons (pause,
 * resume, cancel, retry, download, open, save as), and the full-image view.
 *
 * The state lives in ui->files (made by ui_file_init). UI thread only.
 */
#ifndef USCHAT_SDL_UI_FILE_H
#define USCHAT_SDL_UI_FILE_H

#include <stdbool.h>

#include "ui_internal.h"

/* What a UI_ACT_FILE hit does (its arg: message index * 8 + op). */
typedef enum {
    UI_FILE_OPEN_VIEW = 0, /* an image bubble: the full-image view */
    UI_FILE_PAUSE,
    UI_FILE_RESUME,
    UI_FILE_CANCEL,
    UI_FILE_RETRY,
    UI_FILE_DOWNLOAD,
    UI_FILE_OPEN,    /* with the system's program (xdg-open, ShellExecute) */
    UI_FILE_SAVE_AS, /* opens the path field to save a copy */
} ui_file_op_t;

int ui_file_init(ui_app_t *ui);
void ui_file_free(ui_app_t *ui);

/* The bubble of file or image message MSG at bubble width BMAX: its height, and drawing it
 * at Y in the conversation AREA (message INDEX of T, MINE on the right). */
int ui_file_bubble_h(ui_app_t *ui, const app_msg_t *msg, int bmax);
void ui_file_bubble_draw(ui_app_t *ui, SDL_Rect area, const app_thread_t *t, size_t index, int y,
                         int bmax, bool mine);

/* The attach button at the message box's left (RC) and, above the box while open, the path
 * field strip; returns the strip's height (0 when closed) for the caller's layout. */
void ui_file_attach_button(ui_app_t *ui, SDL_Rect rc);
int ui_file_strip_h(const ui_app_t *ui);
void ui_file_strip_draw(ui_app_t *ui, SDL_Rect rc);

/* A UI_ACT_FILE, UI_ACT_ATTACH or UI_ACT_VIEW_CLOSE hit. */
void ui_file_do(ui_app_t *ui, const ui_hit_t *h);
/* Enter in the path field: attaches (or saves as) what it names. True when it was that field. */
bool ui_file_enter(ui_app_t *ui);
/* Esc: closes the full-image view or the path field. True when one was open. */
bool ui_file_escape(ui_app_t *ui);
/* A file dropped on the window, or clipboard text that names an existing file (Ctrl+V):
 * sent to the open conversation. True when it was taken. */
bool ui_file_drop(ui_app_t *ui, const char *path);
bool ui_file_paste(ui_app_t *ui, const char *text);
/* A pasted or dropped path trimmed (blanks around it, a file:// prefix) into OUT (CAP bytes). */
void ui_file_clean_path(const char *in, char *out, size_t cap);
/* Sends the file at PATH: a picture SDL2_image can decode as an image message with its
 * preview, anything else as a file. 0 or -1 (the model's notice says why). */
int ui_file_send(ui_app_t *ui, const char *path);

/* The full-image view over the whole window (after everything else). */
void ui_file_view_render(ui_app_t *ui);
bool ui_file_view_open(const ui_app_t *ui);

#endif
