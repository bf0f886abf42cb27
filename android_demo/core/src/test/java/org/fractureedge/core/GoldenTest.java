package org.fractureedge.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/** One test per golden case: every intermediate step and the final tensor, against Python's. */
@RunWith(Parameterized.class)
public class GoldenTest {
    private static Golden golden;

    @Parameters(name = "{0}")
    public static Collection<Object[]> cases() throws IOException {
        golden = Golden.load();
        List<Object[]> out = new ArrayList<>();
        for (Map<String, Object> c : golden.cases()) {
            out.add(new Object[] {c.get("name"), c});
        }
        return out;
    }

    private final Map<String, Object> c;

    public GoldenTest(String name, Map<String, Object> c) {
        this.c = c;
    }

    @Test
    @SuppressWarnings("unchecked")
    public void matchesPython() throws IOException {
        Spec spec = golden.spec(c);
        Preprocessor pre = new Preprocessor(spec);
        Pixels px = golden.pixels((String) c.get("image"));
        Map<String, Object> steps = (Map<String, Object>) c.get("steps");

        byte[] gray = pre.toGray(px);
        check("gray", steps.get("gray"), Golden.values(gray), 0);
        byte[] resized = pre.resize(gray, px.width, px.height);
        check("resized", steps.get("resized"), Golden.values(resized), 0);
        if (steps.containsKey("edges")) {
            check("edges", steps.get("edges"), Golden.values(pre.edges(resized)), 0);
        }
        Map<String, Object> input = (Map<String, Object>) c.get("input");
        ModelInput x = pre.run(px);
        assertEquals("dtype", input.get("dtype"), x.dtype);
        assertArrayEquals("shape", Golden.shape(input), x.shape);
        check("input", input, Golden.values(x), x.dtype.equals("float32") ? Golden.FLOAT_TOL : 0);
    }

    @SuppressWarnings("unchecked")
    private void check(String what, Object entry, double[] actual, double tol) throws IOException {
        Map<String, Object> e = (Map<String, Object>) entry;
        assertNull(Golden.compare(what, golden.values(e), actual, Golden.shape(e), tol));
    }
}
