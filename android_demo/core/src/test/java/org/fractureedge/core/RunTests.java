package org.fractureedge.core;

import java.util.ArrayList;
import java.util.List;
import org.junit.runner.Description;
import org.junit.runner.JUnitCore;
import org.junit.runner.Request;
import org.junit.runner.Result;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;

/**
 * Runs JUnit test classes without Gradle (scripts/java-test.sh) and closes with the line
 * {@code N passed, N failed}; exits 1 when any test failed or none ran.
 */
public final class RunTests {
    private RunTests() {
    }

    public static void main(String[] args) throws ClassNotFoundException {
        List<Class<?>> classes = new ArrayList<>();
        for (String a : args) {
            classes.add(Class.forName(a));
        }
        JUnitCore core = new JUnitCore();
        core.addListener(new RunListener() {
            @Override
            public void testFailure(Failure f) {
                System.out.println("FAIL " + f.getDescription().getDisplayName() + ": " + f.getMessage());
            }

            @Override
            public void testAssumptionFailure(Failure f) {
                System.out.println("SKIP " + f.getDescription().getDisplayName() + ": " + f.getMessage());
            }

            @Override
            public void testFinished(Description d) {
                System.out.flush();
            }
        });
        Result r = core.run(Request.classes(classes.toArray(new Class<?>[0])));
        for (Failure f : r.getFailures()) {
            if (f.getException() != null && !(f.getException() instanceof AssertionError)) {
                System.out.println("--- " + f.getDescription().getDisplayName());
                System.out.println(f.getTrace());
            }
        }
        int failed = r.getFailureCount();
        int skipped = r.getIgnoreCount() + r.getAssumptionFailureCount();
        int passed = r.getRunCount() - failed - r.getAssumptionFailureCount();
        System.out.println(passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : ""));
        System.exit(failed == 0 && passed > 0 ? 0 : 1);
    }
}
