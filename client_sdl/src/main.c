/* main.c - uschat-client, the UsChat desktop client: SDL2 + SDL2_ttf on top of the client
 * library.
 *
 *   uschat-client [--gate URL] [--gpu]
 *
 * The main thread owns the window, the renderer, the model and the UI; the network thread
 * (net_thread.c) owns the sockets. They meet in two queues: the model's commands go to the
 * network thread, the network's events come back and wake this thread with an SDL user event.
 */
#include <SDL.h>
#include <SDL_ttf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_config.h"
#include "app_model.h"
#include "model_avatar.h"
#include "model_files.h"
#include "net_thread.h"
#include "ui_app.h"

static Uint32 s_net_event;

/* Network thread: wake the UI thread (SDL_PushEvent is thread-safe). */
static void s_notify(void *arg)
{
    (void)arg;
    SDL_Event ev;
    SDL_zero(ev);
    ev.type = s_net_event;
    SDL_PushEvent(&ev);
}

/* Transfer thread: a transfer moved or changed state; the UI thread polls the model. */
static void s_on_transfer(const uschat_xfer_info_t *info, void *arg)
{
    (void)info;
    s_notify(arg);
}

/* The transfer module with its state, the downloads, the outbox and the avatar pictures in the
 * config folder. */
static uschat_transfer_t *s_files_start(app_model_t *model)
{
    char dir[900], state[1000], downloads[1000], outbox[1000], avatars[1000];
    if (app_config_dir(dir, sizeof dir) < 0)
        return NULL;
    snprintf(state, sizeof state, "%s/transfers", dir);
    snprintf(downloads, sizeof downloads, "%s/downloads", dir);
    snprintf(outbox, sizeof outbox, "%s/outbox", dir);
    snprintf(avatars, sizeof avatars, "%s/avatars", dir);
    uschat_xfer_opts_t o = {.state_dir = state, .on_change = s_on_transfer};
    uschat_transfer_t *xfer = uschat_transfer_new(&o);
    if (!xfer)
        fprintf(stderr, "uschat-client: files cannot be sent or fetched (no transfer module)\n");
    app_model_set_files(model, xfer, downloads, outbox);
    app_model_set_avatar_dir(model, avatars);
    return xfer;
}

static void s_usage(void)
{
    printf("usage: uschat-client [--gate URL] [--gpu]\n"
           "  --gate URL   the gate (default: USCHAT_GATE_URL, GATE_URL of var/run/stack.env,\n"
           "               else http://127.0.0.1:8080)\n"
           "  --gpu        draw through OpenGL/Direct3D instead of the software renderer\n"
           "environment: USCHAT_FONT=path[:index] picks the font\n");
}

int main(int argc, char **argv)
{
    bool gpu = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            s_usage();
            return 0;
        }
        if (strcmp(argv[i], "--gpu") == 0)
            gpu = true; /* --software, the default, is still accepted */
    }
    char gate[512];
    if (app_config_gate_url(argc, argv, gate, sizeof gate) < 0) {
        s_usage();
        return 2;
    }
    app_font_spec_t fonts[8];
    size_t nfonts = app_config_fonts(fonts, 8);
    if (nfonts == 0) {
        fprintf(stderr, "uschat-client: no font found; install fonts-wqy-microhei or set "
                        "USCHAT_FONT\n");
        return 1;
    }
    SDL_SetHint(SDL_HINT_IME_SHOW_UI, "1");
    /* The software renderer draws into the window's own framebuffer (X11 shared memory, a
     * GDI DIB): no GL driver is loaded, which is what made the window take 0.6-1 s to appear.
     * The UI redraws only what changed and a frame costs a few ms (BENCHMARKS.md). */
    if (!gpu)
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0 || TTF_Init() != 0) {
        fprintf(stderr, "uschat-client: SDL: %s\n", SDL_GetError());
        return 1;
    }
    int rc = 1;
    SDL_Window *window = NULL;
    SDL_Renderer *renderer = NULL;
    app_model_t *model = NULL;
    net_thread_t *net = NULL;
    ui_app_t *ui = NULL;
    uschat_transfer_t *xfer = NULL;
    char *email = app_config_load_email();
    uschat_http_t *http = uschat_http_new(gate, 10000);
    s_net_event = SDL_RegisterEvents(1);
    window = SDL_CreateWindow("UsChat", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, 1000, 680,
                              SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (window) {
        SDL_SetWindowMinimumSize(window, 780, 600);
        if (gpu)
            renderer = SDL_CreateRenderer(window, -1,
                                          SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
        if (!renderer)
            renderer = SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE);
    }
    model = app_model_new(email);
    free(email);
    if (!window || !renderer || !model || !http || s_net_event == (Uint32)-1) {
        fprintf(stderr, "uschat-client: cannot start: %s\n", SDL_GetError());
        uschat_http_destroy(&http);
        goto out;
    }
    ui = ui_app_new(window, renderer, model, fonts, nfonts, gate);
    if (!ui) {
        fprintf(stderr, "uschat-client: cannot open the fonts (%s)\n", fonts[0].path);
        uschat_http_destroy(&http);
        goto out;
    }
    /* high-DPI: USCHAT_SCALE=PERCENT, else the settings page's choice, else the display's */
    const char *scale_env = getenv("USCHAT_SCALE");
    int scale = scale_env && *scale_env ? atoi(scale_env) : app_config_load_scale();
    if (scale > 0 && scale != 100) { /* the window grows with the layout */
        SDL_SetWindowSize(window, 1000 * scale / 100, 680 * scale / 100);
        SDL_SetWindowPosition(window, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
    }
    if (ui_app_set_scale(ui, scale) < 0)
        fprintf(stderr, "uschat-client: cannot draw at %d %%\n", scale);
    xfer = s_files_start(model);
    net = net_thread_start(&http, &(net_options_t){.xfer = xfer}, s_notify, NULL);
    if (!net) {
        fprintf(stderr, "uschat-client: cannot start the network thread\n");
        goto out;
    }
    /* "remember me": the login kept by the last session logs in at once, no password */
    app_saved_login_t kept;
    if (app_config_load_login(&kept) == 0) {
        app_model_act(model, &(app_act_t){.kind = APP_ACT_RESUME, .email = kept.email});
        memset(kept.token, 0, sizeof kept.token);
    }
    /* USCHAT_CLIENT_TRACE=1: say when the first frame is on screen (the client benchmark) */
    bool trace = getenv("USCHAT_CLIENT_TRACE") && *getenv("USCHAT_CLIENT_TRACE") == '1';
    bool running = true;
    while (running) {
        SDL_Event ev;
        uint64_t now = SDL_GetTicks64();
        ui_app_tick(ui, now);
        int got = SDL_WaitEventTimeout(&ev, ui_app_wait_ms(ui));
        while (got && running) {
            if (ev.type == s_net_event) {
                app_ev_t *nev;
                while ((nev = net_thread_take(net)) != NULL) {
                    app_model_on_event(model, nev, (int64_t)SDL_GetTicks64());
                    app_ev_destroy(&nev);
                }
                app_model_files_poll(model); /* the same wake-up serves the transfers */
            } else if (!ui_app_handle_event(ui, &ev)) {
                running = false;
            }
            got = SDL_PollEvent(&ev);
        }
        ui_app_tick(ui, SDL_GetTicks64());
        app_cmd_t *cmd;
        while ((cmd = app_model_take_cmd(model)) != NULL)
            net_thread_post(net, cmd);
        if (app_model_view(model).email_to_save) {
            if (app_config_save_email(app_model_view(model).email_to_save) < 0)
                fprintf(stderr, "uschat-client: could not remember the email\n");
            app_model_act(model, &(app_act_t){.kind = APP_ACT_EMAIL_SAVED});
        }
        if (ui_app_needs_redraw(ui)) {
            ui_app_render(ui);
            SDL_RenderPresent(renderer);
            if (trace) {
                fprintf(stderr, "uschat-client: first frame\n");
                trace = false;
            }
        }
    }
    rc = 0;
out:
    net_thread_stop(&net);
    uschat_transfer_destroy(&xfer); /* unfinished transfers go on at the next start */
    ui_app_destroy(&ui);
    app_model_destroy(&model);
    if (renderer)
        SDL_DestroyRenderer(renderer);
    if (window)
        SDL_DestroyWindow(window);
    TTF_Quit();
    SDL_Quit();
    return rc;
}
