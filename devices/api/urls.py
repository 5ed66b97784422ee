from rest_framework.routers import SimpleRouter

from .views import AlarmViewSet, DeadLetterViewSet, SensorPointViewSet

router = SimpleRouter()
router.register("sensor-points", SensorPointViewSet, basename="sensor-point")
router.register("alarms", AlarmViewSet, basename="alarm")
router.register("dead-letters", DeadLetterViewSet, basename="dead-letter")

urlpatterns = router.urls
