#pragma once
// Tab "Bidirectional · Chat": your name, Join / Leave, the room's messages
// (own ones on the right with a delivered mark once the server acknowledged
// them), who is in the room, a message box (Enter sends, Shift+Enter a new
// line) and the call timeline. Two running Streamlab windows chat with no
// set-up: the second one joins the first one's bundled server.

#include "CallStatus.h"
#include "LabTab.h"

#include <QTimer>

#include <memory>

class QSettings;
class QStringListModel;

namespace Ui {
class BidiChatTab;
}

namespace streamlab {

class ChatMessagesModel;
class ChatSession;
class Connection;

class BidiChatTab : public LabTab {
    Q_OBJECT
public:
    explicit BidiChatTab(Connection* connection, QWidget* parent = nullptr);
    ~BidiChatTab() override;

    void saveSettings(QSettings& settings) const override;
    void restoreSettings(QSettings& settings) override;

    ChatSession* session() const { return m_session; }
    ChatMessagesModel* messages() const { return m_messages; }
    QStringListModel* participants() const { return m_participants; }

    // What the buttons (and Enter) do.
    void joinRoom();
    void leaveRoom();
    // Sends what the message box holds; false (with a notice, text kept) when it cannot.
    bool sendEnteredText();
    // Sends again what waits for it: refused lines, and those kept from the last run.
    void resendHeld();

    // The OS user name: $USER, else the home directory's name.
    static QString defaultName();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void updateState();
    void updateBytes();
    void updateResendButton();
    void showNotice(const QString& text, bool error);
    void copySelectedLines();
    void resendAt(const QModelIndex& index);

    std::unique_ptr<Ui::BidiChatTab> m_ui;
    Connection* m_connection;
    ChatSession* m_session;
    ChatMessagesModel* m_messages;
    QStringListModel* m_participants;
    QTimer m_countdown;             // refreshes "reconnecting in …"
    qint64 m_reconnectAtMs = 0;     // when the next attempt starts (ms since epoch)
    int m_reconnectAttempt = 0;
    CallStatus m_lastStatus;        // how the last call ended
    bool m_hasLastStatus = false;
    bool m_followNewest = true;
    bool m_inputNotice = false;    // the notice is about the typed text (empty, too long)
};

} // namespace streamlab
