// The unary tab as a user drives it: type an id, press Enter, read the card.
#include "Connection.h"
#include "StatusBadge.h"
#include "TestServer.h"
#include "UnaryTab.h"

#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QtTest>

using namespace streamlab;

class TestUnaryTab : public QObject {
    Q_OBJECT

private:
    template <typename T>
    T* child(const char* name) const
    {
        T* widget = m_tab->findChild<T*>(QLatin1String(name));
        if (!widget)
            qFatal("no child %s", name);
        return widget;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_server.start());
        QString error;
        QVERIFY(m_connection.connectTo(QString::fromStdString(m_server.address()), &error));
        m_tab = std::make_unique<UnaryTab>(&m_connection);
        m_tab->resize(1000, 700);
        m_tab->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_tab.get()));
    }

    void enterLooksUpTheUser()
    {
        auto* id = child<QLineEdit>("idEdit");
        id->clear();
        QTest::keyClicks(id, QStringLiteral("42"));
        QTest::keyClick(id, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(child<QLabel>("idValue")->text(), QStringLiteral("42"), 10000);
        QVERIFY(child<QLabel>("nameValue")->text() != QStringLiteral("—"));
        QVERIFY(child<QLabel>("emailValue")->text().contains(QLatin1Char('@')));
        QCOMPARE(child<StatusBadge>("statusBadge")->text(), QStringLiteral("OK"));
        QVERIFY(child<QLabel>("latencyLabel")->text().endsWith(QStringLiteral(" ms")));
        QVERIFY(child<QPushButton>("lookupButton")->isEnabled());
    }

    void unknownUserReadsNotFound()
    {
        auto* id = child<QLineEdit>("idEdit");
        id->setText(QStringLiteral("4711"));
        QTest::keyClick(id, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(child<StatusBadge>("statusBadge")->text(), QStringLiteral("NOT_FOUND"), 10000);
        QCOMPARE(child<QLabel>("statusText")->text(), QStringLiteral("User 4711 not found"));
        QCOMPARE(child<QLabel>("nameValue")->text(), QStringLiteral("—"));
    }

    void emptyIdIsNotSent()
    {
        auto* id = child<QLineEdit>("idEdit");
        id->clear();
        QTest::keyClick(id, Qt::Key_Return);
        QVERIFY(child<QLabel>("statusText")->text().contains(QStringLiteral("Type a user id")));
        QVERIFY(!m_tab->lookup()->busy());
    }

    void escapeCancelsASlowCall()
    {
        child<QSpinBox>("delaySpin")->setValue(20000);
        child<QSpinBox>("deadlineSpin")->setValue(60000);
        auto* id = child<QLineEdit>("idEdit");
        id->setText(QStringLiteral("42"));
        QTest::keyClick(id, Qt::Key_Return);
        QTRY_VERIFY(child<QPushButton>("cancelButton")->isEnabled());
        QTest::keyClick(id, Qt::Key_Escape);
        QTRY_COMPARE_WITH_TIMEOUT(child<StatusBadge>("statusBadge")->text(), QStringLiteral("CANCELLED"), 5000);
        child<QSpinBox>("delaySpin")->setValue(0);
    }

    void cleanupTestCase() { m_tab.reset(); }

private:
    test::TestServer m_server{100};
    Connection m_connection;
    std::unique_ptr<UnaryTab> m_tab;
};

QTEST_MAIN(TestUnaryTab)
#include "tst_unarytab.moc"
