/* The output canvas of every figure (see viz.h): a cairo surface in PNG, SVG or PDF, chosen by
 * the extension of the path, written to a temporary file beside it and renamed into place. */
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "viz.h"

static cairo_status_t lsnn__write_cb(void *closure, const unsigned char *data, unsigned int len)
{
    return fwrite(data, 1, len, (FILE *)closure) == len ? CAIRO_STATUS_SUCCESS
                                                       : CAIRO_STATUS_WRITE_ERROR;
}

static int lsnn__ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    if (ls < lx)
        return 0;
    for (size_t i = 0; i < lx; i++)
        if (tolower((unsigned char)s[ls - lx + i]) != suffix[i])
            return 0;
    return 1;
}

lsnn_status lsnn__canvas_open(lsnn__canvas *c, const char *path, int width, int height)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    if (!path || !*path)
        return lsnn_error(LSNN_ERR_ARG, "plot: empty output path");
    if (lsnn__ends_with(path, ".png"))
        c->fmt = LSNN__PNG;
    else if (lsnn__ends_with(path, ".svg"))
        c->fmt = LSNN__SVG;
    else if (lsnn__ends_with(path, ".pdf"))
        c->fmt = LSNN__PDF;
    else
        return lsnn_error(LSNN_ERR_ARG, "%s: unknown image format (the name must end in .png, "
                          ".svg or .pdf)", path);
    if (width < 64 || width > 16384 || height < 64 || height > 16384)
        return lsnn_error(LSNN_ERR_ARG, "%s: figure size %d x %d outside 64..16384", path, width,
                          height);
    if (strlen(path) + 32 > sizeof c->tmp)
        return lsnn_error(LSNN_ERR_ARG, "%s: path too long", path);
    /* Same directory as the target, so rename() is atomic; the pid keeps writers apart. */
    snprintf(c->tmp, sizeof c->tmp, "%s.tmp.%ld", path, (long)getpid());
    c->f = fopen(c->tmp, "wb");
    if (!c->f)
        return lsnn_error(LSNN_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    if (c->fmt == LSNN__PNG)
        c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    else if (c->fmt == LSNN__SVG) {
        c->surface = cairo_svg_surface_create_for_stream(lsnn__write_cb, c->f, width, height);
        /* Pixels, so that a browser shows the SVG at the size of the PNG (cairo's default unit,
         * the point, would scale it by 4/3). */
        cairo_svg_surface_set_document_unit(c->surface, CAIRO_SVG_UNIT_PX);
    }
    else
        c->surface = cairo_pdf_surface_create_for_stream(lsnn__write_cb, c->f, width, height);
    c->cr = cairo_create(c->surface);
    if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS) {
        lsnn_status st = lsnn_error(LSNN_ERR_NOMEM, "%s: cannot create a %d x %d surface: %s",
                                    path, width, height, cairo_status_to_string(cairo_status(c->cr)));
        cairo_destroy(c->cr);
        cairo_surface_destroy(c->surface);
        fclose(c->f);
        remove(c->tmp);
        return st;
    }
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    return LSNN_OK;
}

void lsnn__canvas_abort(lsnn__canvas *c)
{
    if (c->cr)
        cairo_destroy(c->cr);
    if (c->surface)
        cairo_surface_destroy(c->surface);
    if (c->f)
        fclose(c->f);
    remove(c->tmp);
    memset(c, 0, sizeof *c);
}

/* Finishes the drawing, writes the file (fsync, rename) and frees the canvas. */
lsnn_status lsnn__canvas_close(lsnn__canvas *c)
{
    const char *path = c->path;
    cairo_status_t cs = cairo_status(c->cr);
    cairo_destroy(c->cr);
    c->cr = NULL;
    if (cs == CAIRO_STATUS_SUCCESS) {
        if (c->fmt == LSNN__PNG)
            cs = cairo_surface_write_to_png_stream(c->surface, lsnn__write_cb, c->f);
        else {
            cairo_surface_finish(c->surface);
            cs = cairo_surface_status(c->surface);
        }
    }
    if (cs != CAIRO_STATUS_SUCCESS) {
        lsnn_status st = lsnn_error(LSNN_ERR_IO, "%s: cannot draw: %s", path,
                                    cairo_status_to_string(cs));
        lsnn__canvas_abort(c);
        return st;
    }
    cairo_surface_destroy(c->surface);
    c->surface = NULL;
    FILE *f = c->f;
    c->f = NULL;
    int bad = ferror(f) != 0;
    bad |= fflush(f) != 0;
    /* fsync before rename: otherwise a crash can leave the new name pointing at empty blocks. */
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(c->tmp, path) != 0) {
        lsnn_status st = lsnn_error(LSNN_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        remove(c->tmp);
        return st;
    }
    return LSNN_OK;
}
