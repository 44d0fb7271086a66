// EventTableModel: batches (one insert per batch), the capped ring (newest N
// kept, dropped rows counted, flat storage), capacity changes, and the CSV /
// JSON exports through QSaveFile. QAbstractItemModelTester checks every
// change against the model's contract.

#include "EventTableModel.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace streamlab;

namespace {

QList<EventRow> makeRows(qint64 firstId, int count)
{
    QList<EventRow> rows;
    for (int i = 0; i < count; ++i) {
        EventRow row;
        row.id = firstId + i;
        row.timeMs = 1704067200000 + row.id * 1000;   // 2024-01-01T00:00:00Z + id s
        row.type = (row.id % 2) ? QStringLiteral("user.login") : QStringLiteral("order.created");
        row.data = QStringLiteral("{\"user_id\":%1,\"note\":\"a, \\\"quoted\\\" text\"}").arg(row.id);
        rows.push_back(row);
    }
    return rows;
}

qint64 idAt(const EventTableModel& model, int row)
{
    return model.data(model.index(row, EventTableModel::IdColumn)).toLongLong();
}

} // namespace

class TestEventTableModel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void columnsAndData();
    void oneInsertPerBatch();
    void capKeepsNewestAndCountsDropped();
    void batchLargerThanCapacity();
    void ringStorageStaysFlat();
    void shrinkAndGrowCapacity();
    void clearStartsOver();
    void exportCsv();
    void exportJson();
    void exportToUnwritablePathKeepsFile();
};

void TestEventTableModel::columnsAndData()
{
    EventTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.columnCount(), 4);
    QCOMPARE(model.headerData(EventTableModel::TimeColumn, Qt::Horizontal).toString(), QStringLiteral("Time (UTC)"));
    model.appendRows(makeRows(7, 1));
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(idAt(model, 0), 7);
    QCOMPARE(model.data(model.index(0, EventTableModel::TimeColumn)).toString(), QStringLiteral("2024-01-01T00:00:07.000Z"));
    QCOMPARE(model.data(model.index(0, EventTableModel::TypeColumn)).toString(), QStringLiteral("user.login"));
    QVERIFY(model.data(model.index(0, EventTableModel::DataColumn)).toString().startsWith(QStringLiteral("{\"user_id\":7")));
    QCOMPARE(model.data(model.index(0, 0), Qt::UserRole).value<EventRow>().id, 7);
}

void TestEventTableModel::oneInsertPerBatch()
{
    EventTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    model.appendRows(makeRows(1, 500));
    model.appendRows(makeRows(501, 1));
    model.appendRows({});
    model.appendRows(makeRows(502, 1499));
    QCOMPARE(inserted.count(), 3);   // the empty batch says nothing
    QCOMPARE(removed.count(), 0);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
    QCOMPARE(inserted.at(0).at(2).toInt(), 499);
    QCOMPARE(inserted.at(2).at(1).toInt(), 501);
    QCOMPARE(inserted.at(2).at(2).toInt(), 1999);
    QCOMPARE(model.rowCount(), 2000);
    for (int row = 0; row < 2000; ++row)
        QCOMPARE(idAt(model, row), row + 1);
    QCOMPARE(model.droppedRows(), 0);
    QCOMPARE(model.totalAppended(), 2000);
}

void TestEventTableModel::capKeepsNewestAndCountsDropped()
{
    EventTableModel model;
    model.setCapacity(1000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy dropped(&model, &EventTableModel::droppedRowsChanged);

    model.appendRows(makeRows(1, 800));
    model.appendRows(makeRows(801, 300));   // 100 over: the oldest 100 go, in one removal
    QCOMPARE(removed.count(), 1);
    QCOMPARE(removed.at(0).at(1).toInt(), 0);
    QCOMPARE(removed.at(0).at(2).toInt(), 99);
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(model.rowCount(), 1000);
    QCOMPARE(model.droppedRows(), 100);
    QCOMPARE(dropped.count(), 1);
    QCOMPARE(dropped.at(0).at(0).toLongLong(), 100);
    QCOMPARE(idAt(model, 0), 101);
    QCOMPARE(idAt(model, 999), 1100);

    // Many more batches around the ring: always the newest 1000, in order.
    qint64 next = 1101;
    for (int batch = 0; batch < 57; ++batch) {
        const int size = 1 + (batch * 37) % 400;
        model.appendRows(makeRows(next, size));
        next += size;
    }
    QCOMPARE(model.rowCount(), 1000);
    QCOMPARE(model.droppedRows(), next - 1 - 1000);
    QCOMPARE(model.totalAppended(), next - 1);
    for (int row = 0; row < 1000; ++row)
        QCOMPARE(idAt(model, row), next - 1000 + row);
}

void TestEventTableModel::batchLargerThanCapacity()
{
    EventTableModel model;
    model.setCapacity(100);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.appendRows(makeRows(1, 60));
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    model.appendRows(makeRows(61, 250));
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(model.rowCount(), 100);
    QCOMPARE(model.droppedRows(), 210);   // 60 shown before + 150 of this batch never shown
    QCOMPARE(idAt(model, 0), 211);
    QCOMPARE(idAt(model, 99), 310);
}

void TestEventTableModel::ringStorageStaysFlat()
{
    // A long stream through a small ring: the rows held never exceed the
    // capacity, and a dropped row's strings are released (seen through
    // QString's sharing: once the model lets go, `probe` is the only owner).
    EventTableModel model;
    model.setCapacity(5000);
    QString probe = QStringLiteral("x").repeated(100);
    probe.detach();
    {
        QList<EventRow> first = makeRows(1, 1);
        first[0].data = probe;   // shares probe's buffer
        model.appendRows(first);
    }
    QVERIFY(model.rowAt(0).data.constData() == probe.constData());
    for (qint64 id = 2; id <= 200000; id += 1000)
        model.appendRows(makeRows(id, 1000));
    QCOMPARE(model.rowCount(), 5000);
    QCOMPARE(model.totalAppended(), 1 + 200 * 1000);
    QCOMPARE(model.droppedRows(), model.totalAppended() - 5000);
    QCOMPARE(idAt(model, 0), 195002);
    QVERIFY(probe.isDetached());
}

void TestEventTableModel::shrinkAndGrowCapacity()
{
    EventTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setCapacity(300);
    model.appendRows(makeRows(1, 250));
    model.appendRows(makeRows(251, 250));   // wrapped: rows 201..500
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    model.setCapacity(120);
    QCOMPARE(removed.count(), 1);
    QCOMPARE(model.rowCount(), 120);
    QCOMPARE(idAt(model, 0), 381);
    QCOMPARE(idAt(model, 119), 500);
    QCOMPARE(model.droppedRows(), 380);
    model.setCapacity(1000);   // growing keeps every row
    QCOMPARE(model.rowCount(), 120);
    model.appendRows(makeRows(501, 900));
    QCOMPARE(model.rowCount(), 1000);
    QCOMPARE(idAt(model, 0), 401);
    QCOMPARE(idAt(model, 999), 1400);
    model.setCapacity(0);   // at least one row
    QCOMPARE(model.capacity(), 1);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(idAt(model, 0), 1400);
}

void TestEventTableModel::clearStartsOver()
{
    EventTableModel model;
    model.setCapacity(10);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.appendRows(makeRows(1, 25));
    QCOMPARE(model.droppedRows(), 15);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.clear();
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.droppedRows(), 0);
    QCOMPARE(model.totalAppended(), 0);
    model.appendRows(makeRows(100, 3));
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(idAt(model, 2), 102);
}

void TestEventTableModel::exportCsv()
{
    EventTableModel model;
    QList<EventRow> rows = makeRows(1, 3);
    rows[2].live = true;
    rows[2].data = QStringLiteral("line one\nline two");
    model.appendRows(rows);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("events.csv"));
    QCOMPARE(EventTableModel::exportRows(model.rows(), path, EventTableModel::ExportFormat::Csv), QString());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().split('\n');
    QCOMPARE(lines.at(0), QByteArray("id,time,time_ms,type,data,live\r"));
    QCOMPARE(lines.at(1), QByteArray("1,2024-01-01T00:00:01.000Z,1704067201000,user.login,"
                                     "\"{\"\"user_id\"\":1,\"\"note\"\":\"\"a, \\\"\"quoted\\\"\" text\"\"}\",false\r"));
    QCOMPARE(lines.at(3), QByteArray("3,2024-01-01T00:00:03.000Z,1704067203000,user.login,\"line one"));
    QCOMPARE(lines.at(4), QByteArray("line two\",true\r"));
}

void TestEventTableModel::exportJson()
{
    EventTableModel model;
    QList<EventRow> rows = makeRows(1, 2);
    rows[1].data = QStringLiteral("not json");
    model.appendRows(rows);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("events.json"));
    QCOMPARE(EventTableModel::exportRows(model.rows(), path, EventTableModel::ExportFormat::Json), QString());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    const QJsonArray array = doc.array();
    QCOMPARE(array.size(), 2);
    const QJsonObject first = array.at(0).toObject();
    QCOMPARE(first.value(QStringLiteral("id")).toInteger(), 1);
    QCOMPARE(first.value(QStringLiteral("time")).toString(), QStringLiteral("2024-01-01T00:00:01.000Z"));
    QCOMPARE(first.value(QStringLiteral("type")).toString(), QStringLiteral("user.login"));
    QCOMPARE(first.value(QStringLiteral("data")).toObject().value(QStringLiteral("note")).toString(), QStringLiteral("a, \"quoted\" text"));
    QCOMPARE(first.value(QStringLiteral("live")).toBool(), false);
    QCOMPARE(array.at(1).toObject().value(QStringLiteral("data")).toString(), QStringLiteral("not json"));

    // An empty table is an empty array.
    const QString empty = dir.filePath(QStringLiteral("empty.json"));
    QCOMPARE(EventTableModel::exportRows({}, empty, EventTableModel::ExportFormat::Json), QString());
    QFile emptyFile(empty);
    QVERIFY(emptyFile.open(QIODevice::ReadOnly));
    QVERIFY(QJsonDocument::fromJson(emptyFile.readAll()).array().isEmpty());
}

void TestEventTableModel::exportToUnwritablePathKeepsFile()
{
    EventTableModel model;
    model.appendRows(makeRows(1, 10));
    QTemporaryDir dir;
    // A folder that does not exist.
    const QString missing = dir.filePath(QStringLiteral("no/such/folder/events.csv"));
    const QString error = EventTableModel::exportRows(model.rows(), missing, EventTableModel::ExportFormat::Csv);
    QVERIFY(!error.isEmpty());
    QVERIFY2(error.contains(missing), qPrintable(error));
    QVERIFY(!QFile::exists(missing));
    // A path that is a folder: refused, the folder and what is in it untouched.
    const QString folder = dir.filePath(QStringLiteral("a-folder"));
    QVERIFY(QDir().mkpath(folder));
    QFile keep(folder + QStringLiteral("/keep.txt"));
    QVERIFY(keep.open(QIODevice::WriteOnly));
    keep.write("precious");
    keep.close();
    QVERIFY(!EventTableModel::exportRows(model.rows(), folder, EventTableModel::ExportFormat::Json).isEmpty());
    QVERIFY(QFileInfo(folder).isDir());
    QVERIFY(keep.open(QIODevice::ReadOnly));
    QCOMPARE(keep.readAll(), QByteArray("precious"));
    // The rows are all still there.
    QCOMPARE(model.rowCount(), 10);
}

QTEST_GUILESS_MAIN(TestEventTableModel)
#include "tst_eventtablemodel.moc"
