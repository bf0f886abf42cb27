package org.fractureedge.core;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.Map;
import org.junit.Test;

/** The golden comparison can fail: one pixel off in any step is reported, with its place. */
public class GoldenSensitivityTest {
    @Test
    @SuppressWarnings("unchecked")
    public void onePixelDifferenceIsCaught() throws IOException {
        Golden golden = Golden.load();
        for (Map<String, Object> c : golden.cases()) {
            Spec spec = golden.spec(c);
            Preprocessor pre = new Preprocessor(spec);
            ModelInput x = pre.run(golden.pixels((String) c.get("image")));
            Map<String, Object> input = (Map<String, Object>) c.get("input");
            double[] expected = golden.values(input);
            double[] actual = Golden.values(x);
            double tol = x.dtype.equals("float32") ? Golden.FLOAT_TOL : 0;
            assertNull(Golden.compare("input", expected, actual, x.shape, tol));

            // One pixel of one channel, one grey level up (1/255 after normalisation, 1 when quantised).
            int k = actual.length / 2 + 1;
            actual[k] += x.dtype.equals("float32") ? 1.0 / 255.0 : 1.0;
            String msg = Golden.compare("input", expected, actual, x.shape, tol);
            assertNotNull("a one-pixel difference went unnoticed in " + c.get("name"), msg);
            assertTrue(msg, msg.startsWith("input: 1 of " + expected.length + " elements differ"));
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    public void onePixelInTheDecodedImageChangesTheTensor() throws IOException {
        Golden golden = Golden.load();
        int caught = 0;
        for (Map<String, Object> c : golden.cases()) {
            Spec spec = golden.spec(c);
            Pixels px = golden.pixels((String) c.get("image"));
            if (px.width != spec.width || px.height != spec.height || !(spec.fused() || spec.fusion.contains("gray"))) {
                continue; // without a resize, every source pixel reaches a gray channel of the tensor
            }
            byte[] data = px.data.clone();
            int k = data.length / 2 + px.channels;
            data[k] = (byte) ((data[k] & 0xFF) ^ 0x10);
            ModelInput x = new Preprocessor(spec).run(new Pixels(px.width, px.height, px.channels, data));
            Map<String, Object> input = (Map<String, Object>) c.get("input");
            assertNotNull(Golden.compare("input", golden.values(input), Golden.values(x), x.shape,
                    x.dtype.equals("float32") ? Golden.FLOAT_TOL : 0));
            caught++;
        }
        assertTrue("no golden case without a resize", caught > 0);
    }
}
