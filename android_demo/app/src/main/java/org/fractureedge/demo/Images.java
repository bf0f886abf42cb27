package org.fractureedge.demo;

import android.content.ContentResolver;
import android.graphics.Bitmap;
import android.graphics.BitmapFactory;
import android.graphics.Matrix;
import android.net.Uri;
import androidx.exifinterface.media.ExifInterface;
import java.io.IOException;
import java.io.InputStream;
import org.fractureedge.core.FractureEdgeException;
import org.fractureedge.core.Pixels;

/**
 * Decoding, the one step the core leaves to the platform: Android's decoder, EXIF orientation
 * applied (as Python's cv2.imdecode does), alpha dropped. Bit-exactness with Python is defined
 * from these decoded pixels on; JPEG decoders themselves may differ by a grey level.
 */
final class Images {
    /** Decode at most this many pixels; larger photos are subsampled by the decoder. */
    private static final long MAX_PIXELS = 24_000_000L;

    private Images() {
    }

    static Bitmap decode(ContentResolver resolver, Uri uri, String name) throws IOException {
        BitmapFactory.Options bounds = new BitmapFactory.Options();
        bounds.inJustDecodeBounds = true;
        try (InputStream in = resolver.openInputStream(uri)) {
            BitmapFactory.decodeStream(in, null, bounds);
        }
        if (bounds.outWidth <= 0 || bounds.outHeight <= 0) {
            throw new FractureEdgeException(ResultText.undecodable(name));
        }
        BitmapFactory.Options opts = new BitmapFactory.Options();
        opts.inPreferredConfig = Bitmap.Config.ARGB_8888;
        opts.inScaled = false;
        while ((long) bounds.outWidth * bounds.outHeight / ((long) opts.inSampleSize * opts.inSampleSize) > MAX_PIXELS) {
            opts.inSampleSize *= 2;
        }
        Bitmap bitmap;
        try (InputStream in = resolver.openInputStream(uri)) {
            bitmap = BitmapFactory.decodeStream(in, null, opts);
        }
        if (bitmap == null) {
            throw new FractureEdgeException(ResultText.undecodable(name));
        }
        int degrees = 0;
        try (InputStream in = resolver.openInputStream(uri)) {
            degrees = new ExifInterface(in).getRotationDegrees();
        } catch (IOException | RuntimeException ignored) {
            // no EXIF (PNG, stripped JPEG): keep the stored orientation
        }
        if (degrees != 0) {
            Matrix m = new Matrix();
            m.postRotate(degrees);
            bitmap = Bitmap.createBitmap(bitmap, 0, 0, bitmap.getWidth(), bitmap.getHeight(), m, false);
        }
        return bitmap;
    }

    static Pixels pixels(Bitmap bitmap) {
        int w = bitmap.getWidth();
        int h = bitmap.getHeight();
        int[] argb = new int[w * h];
        bitmap.getPixels(argb, 0, w, 0, 0, w, h);
        return Pixels.fromArgb(argb, w, h);
    }
}
