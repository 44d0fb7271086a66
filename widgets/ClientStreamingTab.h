#pragma once
// Tab "Client streaming · UploadChunks": choose, drop or generate a file,
// upload it in chunks with a live progress bar (bytes, MB/s with a small
// chart, time left, elapsed, the client's blocked-write time), cancel,
// resume (only the missing bytes), the server's SHA-256 beside the client's
// with a match mark, a "server read delay" to watch flow control stall the
// bar, the uploads stored on the server, and the call timeline.

#include "LabTab.h"
#include "UploadAdmin.h"
#include "UploadCall.h"

#include <memory>

class QSettings;
class QSortFilterProxyModel;

namespace Ui {
class ClientStreamingTab;
}

namespace streamlab {

class Connection;
class TestFileWriter;
struct TestFileResult;
class UploadListModel;

class ClientStreamingTab : public LabTab {
    Q_OBJECT
public:
    explicit ClientStreamingTab(Connection* connection, QWidget* parent = nullptr);
    ~ClientStreamingTab() override;

    void saveSettings(QSettings& settings) const override;
    void restoreSettings(QSettings& settings) override;
    // Below the width the form and the progress side by side need, they
    // stack, as do the timeline and the stored uploads.
    void arrangeForWidth(int width) override;
    bool stacked() const;

    void setFilePath(const QString& path);
    QString filePath() const;
    // What the buttons do.
    void startUpload();
    void resumeUpload();
    void cancelUpload();
    void refreshUploads();
    // Writes a test file of `bytes` random bytes (off the GUI thread); chosen when done.
    void generateTestFile(const QString& path, qint64 bytes);

    UploadCall* call() const { return m_call; }
    UploadListModel* uploadsModel() const { return m_model; }
    TestFileWriter* testFileWriter() const { return m_writer; }
    bool canResume() const { return !m_pending.uploadId.isEmpty(); }
    QString pendingUploadId() const { return m_pending.uploadId; }

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    // An interrupted upload the server may hold part of.
    struct Pending {
        QString uploadId;
        QString path;
        QString name;
        qint64 size = 0;
        qint64 modifiedMs = 0;
    };

    void browse();
    void chooseGenerateFolder();
    void generateFromForm();
    void showProgress(const UploadProgress& progress);
    void showOutcome(const UploadOutcome& outcome);
    void showServerState(const UploadStatusReply& reply);
    void showUploads(const UploadListReply& reply);
    void showTestFile(const TestFileResult& result);
    void showFileInfo();
    void clearResult();
    void showServerHolds(qint64 bytes, bool stored);
    void updateButtons();
    void setStatus(const QString& badge, int tone, const QString& text);
    void updateResumeLabel(const QString& serverSays = {});
    QString generateFolder() const;

    std::unique_ptr<Ui::ClientStreamingTab> m_ui;
    Connection* m_connection;
    UploadCall* m_call;
    UploadAdmin* m_admin;
    TestFileWriter* m_writer;
    UploadListModel* m_model;
    QSortFilterProxyModel* m_proxy;
    Pending m_pending;
    QString m_lastFolder;
    QString m_generateFolder;        // empty: the system's temporary folder
    int m_rateSeries = -1;
    double m_lastStallMarkS = -1e9;
    bool m_shownOnce = false;
    int m_sideBySideWidth = 0;       // the tab's minimum width side by side, as last seen
};

} // namespace streamlab
