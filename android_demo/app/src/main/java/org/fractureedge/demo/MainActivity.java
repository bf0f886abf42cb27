package org.fractureedge.demo;

import android.app.Activity;
import android.content.ActivityNotFoundException;
import android.content.Intent;
import android.content.res.AssetFileDescriptor;
import android.graphics.Bitmap;
import android.net.Uri;
import android.os.Bundle;
import android.os.Handler;
import android.os.Looper;
import android.provider.MediaStore;
import android.view.View;
import android.widget.Button;
import android.widget.ImageView;
import android.widget.TextView;
import androidx.core.content.FileProvider;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.fractureedge.core.Classifier;
import org.fractureedge.core.ModelFile;

/**
 * One screen: pick an X-ray or take a photo, see it with the fracture probability, the label and
 * the inference time. Model and spec come from assets/model.tflite; everything between decoded
 * pixels and the label is the plain-Java core. Failures end as a message on screen.
 */
public class MainActivity extends Activity {
    private static final String MODEL_ASSET = "model.tflite";
    private static final int PICK = 1;
    private static final int TAKE = 2;

    private final ExecutorService worker = Executors.newSingleThreadExecutor();
    private final Handler main = new Handler(Looper.getMainLooper());
    private Classifier classifier;
    private LiteRtRunner runner;
    private Uri photoUri;

    private TextView modelInfo;
    private TextView error;
    private TextView probability;
    private TextView label;
    private TextView time;
    private ImageView image;
    private Button pick;
    private Button take;

    @Override
    protected void onCreate(Bundle state) {
        super.onCreate(state);
        setContentView(R.layout.activity_main);
        modelInfo = findViewById(R.id.model_info);
        error = findViewById(R.id.error);
        probability = findViewById(R.id.probability);
        label = findViewById(R.id.label);
        time = findViewById(R.id.time);
        image = findViewById(R.id.image);
        pick = findViewById(R.id.pick);
        take = findViewById(R.id.take);
        ((TextView) findViewById(R.id.notice)).setText(ResultText.NOTICE);
        pick.setOnClickListener(v -> pickImage());
        take.setOnClickListener(v -> takePhoto());
        worker.execute(this::loadModel);
    }

    @Override
    protected void onDestroy() {
        worker.shutdownNow();
        if (runner != null) {
            runner.close();
        }
        super.onDestroy();
    }

    private void loadModel() {
        try {
            ByteBuffer model = mapAsset(MODEL_ASSET);
            ModelFile info = ModelFile.parse(model, MODEL_ASSET);
            LiteRtRunner r = new LiteRtRunner(model, info);
            Classifier c = new Classifier(info, r);
            main.post(() -> {
                runner = r;
                classifier = c;
                modelInfo.setText(ResultText.model(c.spec()));
                pick.setEnabled(true);
                take.setEnabled(true);
            });
        } catch (FileNotFoundException e) {
            showError("No model in the app: copy one into app/src/main/assets/" + MODEL_ASSET
                    + " with scripts/copy-model-to-android.sh, then rebuild.");
        } catch (Exception e) {
            showError(ResultText.error(e));
        }
    }

    private ByteBuffer mapAsset(String name) throws IOException {
        try (AssetFileDescriptor fd = getAssets().openFd(name);
             FileInputStream in = new FileInputStream(fd.getFileDescriptor())) {
            return in.getChannel().map(FileChannel.MapMode.READ_ONLY, fd.getStartOffset(), fd.getDeclaredLength());
        }
    }

    private void pickImage() {
        Intent i = new Intent(Intent.ACTION_GET_CONTENT).setType("image/*").addCategory(Intent.CATEGORY_OPENABLE);
        startActivityForResult(Intent.createChooser(i, getString(R.string.pick)), PICK);
    }

    private void takePhoto() {
        File dir = new File(getCacheDir(), "photos");
        if (!dir.isDirectory() && !dir.mkdirs()) {
            showError("Cannot create a folder for the photo.");
            return;
        }
        photoUri = FileProvider.getUriForFile(this, getPackageName() + ".photos", new File(dir, "photo.jpg"));
        Intent i = new Intent(MediaStore.ACTION_IMAGE_CAPTURE).putExtra(MediaStore.EXTRA_OUTPUT, photoUri)
                .addFlags(Intent.FLAG_GRANT_WRITE_URI_PERMISSION);
        try {
            startActivityForResult(i, TAKE);
        } catch (ActivityNotFoundException e) {
            showError("No camera app on this device.");
        }
    }

    @Override
    protected void onActivityResult(int request, int result, Intent data) {
        super.onActivityResult(request, result, data);
        if (result != RESULT_OK) {
            return;
        }
        Uri uri = request == TAKE ? photoUri : (data == null ? null : data.getData());
        if (uri != null) {
            classify(uri, request == TAKE ? "the photo" : String.valueOf(uri.getLastPathSegment()));
        }
    }

    private void classify(Uri uri, String name) {
        error.setVisibility(View.GONE);
        probability.setText(R.string.running);
        label.setText(R.string.dash);
        time.setText(R.string.dash);
        worker.execute(() -> {
            try {
                Bitmap bitmap = Images.decode(getContentResolver(), uri, name);
                main.post(() -> image.setImageBitmap(bitmap));
                Classifier.Prediction p = classifier.classify(Images.pixels(bitmap));
                main.post(() -> {
                    probability.setText(ResultText.probability(p, classifier.spec()));
                    label.setText(ResultText.label(p, classifier.spec()));
                    time.setText(ResultText.time(p));
                });
            } catch (Exception | OutOfMemoryError e) {
                showError(ResultText.error(e));
            }
        });
    }

    private void showError(String message) {
        main.post(() -> {
            error.setText(message);
            error.setVisibility(View.VISIBLE);
            probability.setText(R.string.dash);
        });
    }
}
